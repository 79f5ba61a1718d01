#include "server/image/exif_orientation.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using test_images::GpsExifTiff;

TEST(ReadExifOrientationTest, ReadsLittleEndianCameraExif) {
  EXPECT_EQ(ReadExifOrientation(GpsExifTiff(1)), 1);
  EXPECT_EQ(ReadExifOrientation(GpsExifTiff(6)), 6);
  EXPECT_EQ(ReadExifOrientation(absl::StrCat(kExifHeader, GpsExifTiff(8))), 8);
}

TEST(ReadExifOrientationTest, RoundTripsOrientationOnlyExif) {
  for (int orientation = 1; orientation <= 8; ++orientation) {
    const std::string exif = OrientationOnlyExif(orientation);
    EXPECT_EQ(exif.size(), 26u);
    EXPECT_EQ(exif.substr(0, 4), std::string("MM\0\x2A", 4));
    EXPECT_EQ(ReadExifOrientation(exif), orientation);
  }
}

TEST(ReadExifOrientationTest, IgnoresInvalidData) {
  EXPECT_EQ(ReadExifOrientation(""), std::nullopt);
  EXPECT_EQ(ReadExifOrientation("MM"), std::nullopt);
  EXPECT_EQ(ReadExifOrientation("XX\0\x2A"), std::nullopt);
  const std::string valid = OrientationOnlyExif(3);
  // Out-of-range value.
  std::string bad = valid;
  bad[19] = 9;
  EXPECT_EQ(ReadExifOrientation(bad), std::nullopt);
  bad[19] = 0;
  EXPECT_EQ(ReadExifOrientation(bad), std::nullopt);
  // Wrong type (LONG).
  bad = valid;
  bad[13] = 4;
  EXPECT_EQ(ReadExifOrientation(bad), std::nullopt);
  // Wrong count.
  bad = valid;
  bad[17] = 2;
  EXPECT_EQ(ReadExifOrientation(bad), std::nullopt);
  // Wrong magic number.
  bad = valid;
  bad[3] = 43;
  EXPECT_EQ(ReadExifOrientation(bad), std::nullopt);
  // IFD0 inside the header.
  bad = valid;
  bad[7] = 4;
  EXPECT_EQ(ReadExifOrientation(bad), std::nullopt);
  // IFD0 beyond the data.
  bad = valid;
  bad[4] = 0x7F;
  EXPECT_EQ(ReadExifOrientation(bad), std::nullopt);
  // More entries than the data holds.
  bad = valid;
  bad[9] = 2;
  EXPECT_EQ(ReadExifOrientation(bad), std::nullopt);
  // Every truncation of valid data.
  for (size_t size = 0; size < valid.size(); ++size) {
    EXPECT_EQ(ReadExifOrientation(valid.substr(0, size)), std::nullopt) << size;
  }
}

TEST(ReadExifOrientationTest, NoOrientationTag) {
  std::string exif = OrientationOnlyExif(6);
  exif[11] = 0x13;  // Tag 0x0113 instead of 0x0112.
  EXPECT_EQ(ReadExifOrientation(exif), std::nullopt);
}

}  // namespace
}  // namespace userimage
