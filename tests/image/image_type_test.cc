#include "server/image/image_type.h"

#include <string>

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(SniffImageTypeTest, RecognisesEachAcceptedFormat) {
  EXPECT_EQ(SniffImageType("\xFF\xD8\xFF\xE0rest"), ImageType::kJpeg);
  EXPECT_EQ(SniffImageType("\x89PNG\r\n\x1A\n...."), ImageType::kPng);
  EXPECT_EQ(SniffImageType("GIF87a..."), ImageType::kGif);
  EXPECT_EQ(SniffImageType("GIF89a..."), ImageType::kGif);
  EXPECT_EQ(SniffImageType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)),
            ImageType::kWebp);
}

TEST(SniffImageTypeTest, RejectsOtherBytes) {
  EXPECT_EQ(SniffImageType(""), std::nullopt);
  EXPECT_EQ(SniffImageType("hello, world"), std::nullopt);
  EXPECT_EQ(SniffImageType("\xFF\xD8"), std::nullopt);  // truncated JPEG
  EXPECT_EQ(SniffImageType("\x89PNG\r\n"), std::nullopt);
  EXPECT_EQ(SniffImageType("RIFF\0\0\0\0WAVE"), std::nullopt);
  EXPECT_EQ(SniffImageType("RIFF"), std::nullopt);
  EXPECT_EQ(SniffImageType("%PDF-1.7"), std::nullopt);
}

TEST(ImageTypeFromMimeTypeTest, ParsesAcceptedTypes) {
  EXPECT_EQ(ImageTypeFromMimeType("image/png"), ImageType::kPng);
  EXPECT_EQ(ImageTypeFromMimeType("IMAGE/JPEG"), ImageType::kJpeg);
  EXPECT_EQ(ImageTypeFromMimeType("image/jpg"), ImageType::kJpeg);
  EXPECT_EQ(ImageTypeFromMimeType(" image/webp ; q=1"), ImageType::kWebp);
  EXPECT_EQ(ImageTypeFromMimeType("image/gif"), ImageType::kGif);
  EXPECT_EQ(ImageTypeFromMimeType("image/svg+xml"), std::nullopt);
  EXPECT_EQ(ImageTypeFromMimeType("text/plain"), std::nullopt);
  EXPECT_EQ(ImageTypeFromMimeType(""), std::nullopt);
}

TEST(ImageTypeTest, NamesRoundTrip) {
  for (ImageType t :
       {ImageType::kJpeg, ImageType::kPng, ImageType::kGif, ImageType::kWebp}) {
    EXPECT_EQ(ImageTypeFromMimeType(MimeType(t)), t);
    EXPECT_EQ(FileExtension(t)[0], '.');
  }
}

}  // namespace
}  // namespace userimage
