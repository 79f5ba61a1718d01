#include "server/image/convertible_image.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using test_images::HeifHeader;
using test_images::IsoBox;

TEST(ConvertibleImageTest, SniffsHeifAvifAndTiffByTheirFirstBytes) {
  EXPECT_EQ(SniffConvertibleFormat(HeifHeader(1, 1, "heic")),
            ConvertibleFormat::kHeif);
  EXPECT_EQ(SniffConvertibleFormat(HeifHeader(1, 1, "mif1")),
            ConvertibleFormat::kHeif);
  EXPECT_EQ(SniffConvertibleFormat(HeifHeader(1, 1, "avif")),
            ConvertibleFormat::kAvif);
  // The generic brand with AVIF among the compatible ones.
  EXPECT_EQ(SniffConvertibleFormat(
                IsoBox("ftyp", std::string("mif1\0\0\0\0miafavif", 16))),
            ConvertibleFormat::kAvif);
  EXPECT_EQ(SniffConvertibleFormat(std::string("II*\0rest", 8)),
            ConvertibleFormat::kTiff);
  EXPECT_EQ(SniffConvertibleFormat(std::string("MM\0*rest", 8)),
            ConvertibleFormat::kTiff);
  // An MP4 video, a JPEG, and too little.
  EXPECT_EQ(SniffConvertibleFormat(HeifHeader(1, 1, "isom")), std::nullopt);
  EXPECT_EQ(SniffConvertibleFormat("\xFF\xD8\xFF\xE0"), std::nullopt);
  EXPECT_EQ(SniffConvertibleFormat("\0\0\0\x18"
                                   "ftyp"),
            std::nullopt);
}

TEST(ConvertibleImageTest, NamesMimeTypes) {
  EXPECT_TRUE(MimeTypeNames(ConvertibleFormat::kHeif, "image/heic"));
  EXPECT_TRUE(MimeTypeNames(ConvertibleFormat::kHeif, "Image/HEIF; x=y"));
  EXPECT_TRUE(MimeTypeNames(ConvertibleFormat::kHeif, "image/heic-sequence"));
  EXPECT_TRUE(MimeTypeNames(ConvertibleFormat::kAvif, "image/avif"));
  EXPECT_TRUE(MimeTypeNames(ConvertibleFormat::kTiff, "image/tiff"));
  EXPECT_FALSE(MimeTypeNames(ConvertibleFormat::kAvif, "image/heic"));
  EXPECT_FALSE(MimeTypeNames(ConvertibleFormat::kTiff, "image/png"));
  EXPECT_FALSE(MimeTypeNames(ConvertibleFormat::kHeif, ""));
}

TEST(ConvertibleImageTest, ReadsTheDeclaredSizeWithoutDecoding) {
  absl::StatusOr<ImageInfo> info = InspectHeifExtent(HeifHeader(4032, 3024));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 4032);
  EXPECT_EQ(info->height, 3024);
  // A decompression bomb is visible from its header.
  info = InspectHeifExtent(HeifHeader(60000, 60000));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 60000);
  EXPECT_EQ(info->height, 60000);
}

TEST(ConvertibleImageTest, TheLargestExtentCounts) {
  // A grid: tiles of 512×512 and the whole image of 8000×6000.
  const std::string ispe_tile =
      IsoBox("ispe", std::string("\0\0\0\0\0\0\2\0\0\0\2\0", 12));
  const std::string ispe_grid =
      IsoBox("ispe", std::string("\0\0\0\0\0\0\x1F\x40\0\0\x17\x70", 12));
  const std::string heif =
      IsoBox("ftyp", "heic\0\0\0\0mif1") +
      IsoBox("meta", std::string(4, '\0') +
                         IsoBox("iprp", IsoBox("ipco", ispe_tile + ispe_grid)));
  absl::StatusOr<ImageInfo> info = InspectHeifExtent(heif);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->width, 8000);
  EXPECT_EQ(info->height, 6000);
}

TEST(ConvertibleImageTest, DamagedStructuresAreRefusedWithTheReason) {
  const std::string heif = HeifHeader(100, 100);
  for (size_t cut : {heif.size() - 3, size_t{30}, size_t{6}}) {
    SCOPED_TRACE(cut);
    absl::StatusOr<ImageInfo> info = InspectHeifExtent(heif.substr(0, cut));
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(info.status().message(), "HEIF"))
        << info.status();
  }
  absl::StatusOr<ImageInfo> no_size =
      InspectHeifExtent(IsoBox("ftyp", "heic\0\0\0\0"));
  EXPECT_TRUE(absl::StrContains(no_size.status().message(), "ispe"))
      << no_size.status();
  // A box claiming to be smaller than its own header.
  EXPECT_FALSE(InspectHeifExtent(std::string("\0\0\0\4ftypheic", 12)).ok());
  // A 64-bit size running past the end.
  EXPECT_FALSE(
      InspectHeifExtent(std::string("\0\0\0\1meta\0\0\0\0\xFF\0\0\0", 16))
          .ok());
}

TEST(ConvertibleImageTest, SeesRotationProperties) {
  EXPECT_FALSE(HeifDeclaresTransform(HeifHeader(10, 10)));
  EXPECT_TRUE(HeifDeclaresTransform(HeifHeader(10, 10, "heic", true)));
  EXPECT_FALSE(HeifDeclaresTransform("garbage"));
}

}  // namespace
}  // namespace userimage
