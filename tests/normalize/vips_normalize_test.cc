// NormalizeImage in this process (the sandbox has tests of its own).
#include "server/normalize/vips_normalize.h"

#include <vips/vips.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/image/image_info.h"
#include "tests/normalize/test_photos.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using clerk::userimage::internal::v1::NormalizeFailure;
using clerk::userimage::internal::v1::NormalizeRequest;
using clerk::userimage::internal::v1::NormalizeResponse;

class VipsNormalizeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(StartVipsForWorker().ok()); }

  static NormalizeRequest Request(std::string image, uint32_t max_side = 0) {
    NormalizeRequest request;
    request.set_image(std::move(image));
    request.set_max_side_px(max_side);
    request.set_max_image_side_px(12000);
    request.set_max_image_pixels(100'000'000);
    request.set_max_output_bytes(10'000'000);
    return request;
  }

  // The mean of the top and of the bottom rows of a decoded result.
  static std::pair<double, double> TopAndBottom(const std::string& bytes) {
    VipsImage* image =
        vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
    EXPECT_NE(image, nullptr);
    if (image == nullptr) return {};
    double top = 0, bottom = 0;
    VipsImage* row = nullptr;
    vips_crop(image, &row, 0, 0, image->Xsize, 1, nullptr);
    vips_avg(row, &top, nullptr);
    g_object_unref(row);
    vips_crop(image, &row, 0, image->Ysize - 1, image->Xsize, 1, nullptr);
    vips_avg(row, &bottom, nullptr);
    g_object_unref(row);
    g_object_unref(image);
    return {top, bottom};
  }
};

TEST_F(VipsNormalizeTest, HeicWithOrientation6BecomesAnUprightScaledJpeg) {
  const NormalizeResponse response =
      NormalizeImage(Request(MakePhoto("heic", 400, 300, 6), 100));
  ASSERT_TRUE(response.has_image()) << response.failure().message();
  EXPECT_EQ(response.image().mime_type(), "image/jpeg");
  EXPECT_EQ(response.image().width(), 75);
  EXPECT_EQ(response.image().height(), 100);
  absl::StatusOr<ImageInfo> info = InspectImage(response.image().data());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 75);
  EXPECT_EQ(info->height, 100);
  // No EXIF: neither the orientation (already applied) nor the GPS.
  EXPECT_FALSE(absl::StrContains(response.image().data(), "Exif"));
  // The stored left half (dark) is on top once turned 90° clockwise.
  const auto [top, bottom] = TopAndBottom(response.image().data());
  EXPECT_LT(top, 30);
  EXPECT_GT(bottom, 225);
}

TEST_F(VipsNormalizeTest, EveryOrientationEndsUpright) {
  // Orientations 5–8 swap the sides; the dark half ends top (5, 6),
  // bottom (7, 8), left (1, 4... mirrored: right) as EXIF defines.
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    const NormalizeResponse response =
        NormalizeImage(Request(MakePhoto("jpg", 40, 30, orientation)));
    ASSERT_TRUE(response.has_image()) << response.failure().message();
    const bool swapped = orientation >= 5;
    EXPECT_EQ(response.image().width(), swapped ? 30 : 40);
    EXPECT_EQ(response.image().height(), swapped ? 40 : 30);
  }
}

TEST_F(VipsNormalizeTest, AvifAndTiffBecomeJpeg) {
  for (const std::string format : {"avif", "tiff"}) {
    SCOPED_TRACE(format);
    const NormalizeResponse response =
        NormalizeImage(Request(MakePhoto(format, 64, 48)));
    ASSERT_TRUE(response.has_image()) << response.failure().message();
    EXPECT_EQ(response.image().mime_type(), "image/jpeg");
    EXPECT_EQ(response.image().width(), 64);  // Within the limit: kept.
    EXPECT_EQ(response.image().height(), 48);
  }
}

TEST_F(VipsNormalizeTest, TransparencyBecomesPng) {
  const NormalizeResponse response =
      NormalizeImage(Request(MakeTransparent("tiff", 64, 48)));
  ASSERT_TRUE(response.has_image()) << response.failure().message();
  EXPECT_EQ(response.image().mime_type(), "image/png");
  absl::StatusOr<ImageInfo> info = InspectImage(response.image().data());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->type, ImageType::kPng);
}

TEST_F(VipsNormalizeTest, AKeptTypeStaysThatType) {
  NormalizeRequest request = Request(MakePhoto("png", 400, 200), 100);
  request.set_keep_mime_type("image/png");
  const NormalizeResponse response = NormalizeImage(request);
  ASSERT_TRUE(response.has_image()) << response.failure().message();
  EXPECT_EQ(response.image().mime_type(), "image/png");
  EXPECT_EQ(response.image().width(), 100);
  EXPECT_EQ(response.image().height(), 50);
}

TEST_F(VipsNormalizeTest, AScaledAnimationKeepsItsFrames) {
  ASSERT_FALSE(MakePhoto("png", 300, 200).empty());
  const std::string path = TestTempPath("animation.gif");
  ASSERT_TRUE(RunCommand("convert -delay 10 " +
                             TestTempPath("photo_300x200_0.png") + " -negate " +
                             TestTempPath("photo_300x200_0.png") + " -loop 0 " +
                             path,
                         "", TestTempPath("convert.log"))
                  .ok());
  std::string gif =
      RunCommand("cat " + path, "", TestTempPath("cat.log")).value_or("");
  NormalizeRequest request = Request(gif, 100);
  request.set_keep_mime_type("image/gif");
  const NormalizeResponse response = NormalizeImage(request);
  ASSERT_TRUE(response.has_image()) << response.failure().message();
  EXPECT_EQ(response.image().width(), 100);
  EXPECT_EQ(response.image().height(), 67);
  absl::StatusOr<ImageInfo> info = InspectImage(response.image().data());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->type, ImageType::kGif);
  EXPECT_EQ(info->frame_count, 2);
}

TEST_F(VipsNormalizeTest, DamagedInputIsUndecodable) {
  const std::string heic = MakePhoto("heic", 320, 240);
  for (const std::string& bytes :
       {heic.substr(0, heic.size() / 2), std::string("not an image at all"),
        std::string("BM") + std::string(100, '\0')}) {
    const NormalizeResponse response = NormalizeImage(Request(bytes));
    ASSERT_TRUE(response.has_failure());
    EXPECT_EQ(response.failure().kind(), NormalizeFailure::KIND_UNDECODABLE)
        << response.failure().message();
    EXPECT_FALSE(response.failure().message().empty());
  }
}

TEST_F(VipsNormalizeTest, HeaderLimitsAreCheckedBeforeDecoding) {
  NormalizeRequest request = Request(MakePhoto("tiff", 400, 300));
  request.set_max_image_side_px(399);
  NormalizeResponse response = NormalizeImage(request);
  ASSERT_TRUE(response.has_failure());
  EXPECT_EQ(response.failure().kind(), NormalizeFailure::KIND_DIMENSIONS);
  EXPECT_TRUE(absl::StrContains(response.failure().message(), "400×300"))
      << response.failure().message();
  request.set_max_image_side_px(12000);
  request.set_max_image_pixels(400 * 300 - 1);
  response = NormalizeImage(request);
  ASSERT_TRUE(response.has_failure());
  EXPECT_EQ(response.failure().kind(), NormalizeFailure::KIND_DIMENSIONS);
}

TEST_F(VipsNormalizeTest, AResultOverTheSizeLimitIsReencodedOrRefused) {
  NormalizeRequest request = Request(MakePhoto("heic", 640, 480));
  const NormalizeResponse best = NormalizeImage(request);
  ASSERT_TRUE(best.has_image());
  // Just under the first encoding: a lower quality fits.
  request.set_max_output_bytes(best.image().data().size() - 1);
  const NormalizeResponse smaller = NormalizeImage(request);
  ASSERT_TRUE(smaller.has_image()) << smaller.failure().message();
  EXPECT_LT(smaller.image().data().size(), best.image().data().size());
  // Nothing fits in 100 bytes.
  request.set_max_output_bytes(100);
  const NormalizeResponse refused = NormalizeImage(request);
  ASSERT_TRUE(refused.has_failure());
  EXPECT_EQ(refused.failure().kind(), NormalizeFailure::KIND_TOO_LARGE);
}

}  // namespace
}  // namespace userimage
