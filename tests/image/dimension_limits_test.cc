#include "server/image/dimension_limits.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

using ::testing::HasSubstr;

ImageInfo Info(uint32_t width, uint32_t height, uint32_t frames = 1) {
  return ImageInfo{ImageType::kPng, width, height, frames};
}

TEST(CheckDimensionsTest, DefaultsAreTwelveThousandPixelsAndOneHundredMp) {
  const DimensionLimits limits;
  EXPECT_EQ(limits.max_side, 12000u);
  EXPECT_EQ(limits.max_pixels, 100000000u);
  EXPECT_EQ(limits.max_frames, 1000u);
}

TEST(CheckDimensionsTest, AcceptsImagesWithinTheLimits) {
  EXPECT_TRUE(CheckDimensions(Info(1, 1)).ok());
  EXPECT_TRUE(CheckDimensions(Info(12000, 8000)).ok());   // 96 MP.
  EXPECT_TRUE(CheckDimensions(Info(10000, 10000)).ok());  // Exactly 100 MP.
  EXPECT_TRUE(CheckDimensions(Info(12000, 1)).ok());
  EXPECT_TRUE(CheckDimensions(Info(100, 100, 1000)).ok());
}

TEST(CheckDimensionsTest, RefusesASideOverTwelveThousandPixels) {
  for (const ImageInfo& info :
       {Info(12001, 10), Info(10, 12001), Info(4294967295u, 1)}) {
    absl::Status status = CheckDimensions(info);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(),
                HasSubstr("at most 12000 pixels per side are accepted: "
                          "scale it down"));
  }
  EXPECT_THAT(CheckDimensions(Info(12001, 10)).message(),
              HasSubstr("the image is 12001x10 pixels"));
}

TEST(CheckDimensionsTest, RefusesMoreThanOneHundredMegapixels) {
  absl::Status status = CheckDimensions(Info(10001, 10000));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("the image is 10001x10000 pixels (100.01 megapixels); "
                        "at most 100 megapixels are accepted"));
  EXPECT_THAT(CheckDimensions(Info(12000, 11000)).message(),
              HasSubstr("(132 megapixels)"));
}

TEST(CheckDimensionsTest, RefusesZeroDimensions) {
  for (const ImageInfo& info : {Info(0, 10), Info(10, 0), Info(0, 0)}) {
    absl::Status status = CheckDimensions(info);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(),
                HasSubstr("at least one pixel in each direction"));
  }
  EXPECT_THAT(CheckDimensions(Info(0, 10)).message(),
              HasSubstr("declares a size of 0x10 pixels"));
  EXPECT_THAT(CheckDimensions(Info(10, 10, 0)).message(),
              HasSubstr("contains no frames"));
}

TEST(CheckDimensionsTest, RefusesTooManyFrames) {
  absl::Status status = CheckDimensions(Info(10, 10, 1001));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("the animation has 1001 frames; at most 1000"));
}

TEST(CheckDimensionsTest, HonoursCustomLimits) {
  DimensionLimits limits;
  limits.max_side = 100;
  limits.max_pixels = 5000;
  limits.max_frames = 2;
  EXPECT_TRUE(CheckDimensions(Info(100, 50, 2), limits).ok());
  EXPECT_FALSE(CheckDimensions(Info(101, 1), limits).ok());
  EXPECT_THAT(CheckDimensions(Info(100, 51), limits).message(),
              HasSubstr("at most 0.005 megapixels"));
  EXPECT_FALSE(CheckDimensions(Info(1, 1, 3), limits).ok());
}

}  // namespace
}  // namespace userimage
