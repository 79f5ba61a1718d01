#include "server/image/strip_metadata.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/image/exif_orientation.h"
#include "server/image/image_info.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using ::testing::HasSubstr;
using namespace test_images;  // NOLINT: builders of test images.

std::string Strip(absl::string_view bytes) {
  absl::StatusOr<std::string> stripped = StripMetadata(bytes);
  EXPECT_TRUE(stripped.ok()) << stripped.status();
  return stripped.ok() ? *stripped : "";
}

// Checks what every stripped image must satisfy: not larger, same header
// information, stripping again changes nothing.
void ExpectStrippedWell(absl::string_view original, absl::string_view out) {
  EXPECT_LE(out.size(), original.size());
  absl::StatusOr<ImageInfo> before = InspectImage(original);
  absl::StatusOr<ImageInfo> after = InspectImage(out);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(*before == *after);
  EXPECT_EQ(Strip(out), out);
}

void ExpectNoGpsOrXmp(absl::string_view out) {
  EXPECT_FALSE(absl::StrContains(out, GpsLatitudeBytes()));
  EXPECT_FALSE(absl::StrContains(out, "TestCam"));
  EXPECT_FALSE(absl::StrContains(out, "GPSLatitude"));
  EXPECT_FALSE(absl::StrContains(out, "xmpmeta"));
  EXPECT_FALSE(absl::StrContains(out, "http://ns.adobe.com/xap/1.0/"));
  EXPECT_FALSE(absl::StrContains(out, "secret comment"));
}

// ---------------------------------------------------------------- JPEG

TEST(StripMetadataTest, JpegDropsExifXmpCommentsAndPrivateSegments) {
  const std::string icc = JpegSegmentBytes(
      0xE2, absl::StrCat(std::string("ICC_PROFILE\0\x01\x01", 14), "icc"));
  const std::string adobe =
      JpegSegmentBytes(0xEE, std::string("Adobe\0\x64\0\0\0\0\x01", 12));
  const std::string metadata = absl::StrCat(
      JpegSegmentBytes(0xE1, absl::StrCat(kExifHeader, GpsExifTiff(1))),
      JpegSegmentBytes(
          0xE1, absl::StrCat(std::string("http://ns.adobe.com/xap/1.0/\0", 29),
                             XmpPacket())),
      JpegSegmentBytes(0xE2, std::string("MPF\0II*\0", 8)),
      JpegSegmentBytes(0xED, "Photoshop 3.0 IPTC"),
      JpegSegmentBytes(0xE0, "JFXX thumbnail"),
      JpegSegmentBytes(0xEE, "NotAdobe"), JpegSegmentBytes(0xEF, "app15"),
      JpegSegmentBytes(0xFE, "secret comment"));
  const std::string original =
      Jpeg(4, 3, absl::StrCat(JfifSegment(), metadata, icc, adobe));
  const std::string out = Strip(original);
  EXPECT_EQ(out, Jpeg(4, 3, absl::StrCat(JfifSegment(), icc, adobe)));
  EXPECT_FALSE(absl::StrContains(out, "Exif"));
  EXPECT_FALSE(absl::StrContains(out, "MPF"));
  EXPECT_FALSE(absl::StrContains(out, "Photoshop"));
  EXPECT_FALSE(absl::StrContains(out, "JFXX"));
  ExpectNoGpsOrXmp(out);
  ExpectStrippedWell(original, out);
}

TEST(StripMetadataTest, JpegKeepsTheOrientation) {
  const std::string original = Jpeg(
      4, 3,
      absl::StrCat(
          JfifSegment(),
          JpegSegmentBytes(0xE1, absl::StrCat(kExifHeader, GpsExifTiff(6)))));
  const std::string out = Strip(original);
  const std::string orientation_only =
      JpegSegmentBytes(0xE1, absl::StrCat(kExifHeader, OrientationOnlyExif(6)));
  EXPECT_EQ(out, Jpeg(4, 3, absl::StrCat(JfifSegment(), orientation_only)));
  EXPECT_FALSE(absl::StrContains(out, GpsLatitudeBytes()));
  EXPECT_FALSE(absl::StrContains(out, "TestCam"));
  ExpectStrippedWell(original, out);
}

TEST(StripMetadataTest, JpegKeepsOneOrientationOnly) {
  const std::string exif =
      JpegSegmentBytes(0xE1, absl::StrCat(kExifHeader, GpsExifTiff(3)));
  const std::string out = Strip(Jpeg(2, 2, absl::StrCat(exif, exif)));
  EXPECT_EQ(out,
            Jpeg(2, 2,
                 JpegSegmentBytes(
                     0xE1, absl::StrCat(kExifHeader, OrientationOnlyExif(3)))));
}

TEST(StripMetadataTest, JpegDropsTheJfifThumbnail) {
  std::string jfif(JfifSegment());
  const std::string fields = jfif.substr(4, 12);
  const std::string with_thumbnail = JpegSegmentBytes(
      0xE0, absl::StrCat(fields, "\x02\x01", std::string(6, '\x7F')));
  const std::string out = Strip(Jpeg(2, 2, with_thumbnail));
  EXPECT_EQ(out, Jpeg(2, 2, JfifSegment()));
  // A JFIF segment too short to hold thumbnail fields stays as it is.
  const std::string short_jfif =
      JpegSegmentBytes(0xE0, std::string("JFIF\0\x01\x01", 7));
  EXPECT_EQ(Strip(Jpeg(2, 2, short_jfif)), Jpeg(2, 2, short_jfif));
}

TEST(StripMetadataTest, JpegDropsMetadataBetweenScansAndAfterTheEnd) {
  std::string jpeg = Jpeg(4, 3);
  jpeg.resize(jpeg.size() - 2);  // Drop EOI, add a second scan.
  const std::string second_scan =
      absl::StrCat(JpegSegmentBytes(0xC4, std::string(17, '\0')),
                   JpegSegmentBytes(0xDA, std::string(8, '\1')), "\xAB\xCD");
  const std::string original =
      absl::StrCat(jpeg, JpegSegmentBytes(0xFE, "secret comment"), second_scan,
                   "\xFF\xD9", "appended video");
  EXPECT_EQ(Strip(original), absl::StrCat(jpeg, second_scan, "\xFF\xD9"));
}

TEST(StripMetadataTest, JpegWithoutMetadataIsUnchanged) {
  for (const std::string& jpeg :
       {Jpeg(4, 3), Jpeg(4, 3, JfifSegment()),
        Jpeg(4, 3, absl::StrCat("\xFF\xFF", JfifSegment(), "\xFF\xD2"))}) {
    EXPECT_EQ(Strip(jpeg), jpeg);
  }
  // A truncated scan (no EOI) is copied as it is.
  std::string truncated = Jpeg(4, 3);
  truncated.resize(truncated.size() - 3);
  EXPECT_EQ(Strip(truncated), truncated);
}

TEST(StripMetadataTest, JpegFixtureLosesGpsAndKeepsItsImageData) {
  const std::string original = ReadTestdata("photo_gps.jpg");
  ASSERT_TRUE(absl::StrContains(original, GpsLatitudeBytes()));
  ASSERT_TRUE(absl::StrContains(original, "Exif"));
  const std::string out = Strip(original);
  EXPECT_FALSE(absl::StrContains(out, "Exif"));
  ExpectNoGpsOrXmp(out);
  // Everything from the first table on is byte-identical.
  const size_t tables = original.find("\xFF\xDB");
  ASSERT_NE(tables, std::string::npos);
  EXPECT_TRUE(absl::EndsWith(out, original.substr(tables)));
  EXPECT_EQ(out.substr(0, 20), original.substr(0, 20));  // SOI + JFIF.
  EXPECT_EQ(out.size(), 20 + original.size() - tables);
  ExpectStrippedWell(original, out);

  const std::string rotated = ReadTestdata("photo_gps_rotated.jpg");
  const std::string rotated_out = Strip(rotated);
  ExpectNoGpsOrXmp(rotated_out);
  EXPECT_TRUE(absl::StrContains(
      rotated_out, absl::StrCat(kExifHeader, OrientationOnlyExif(6))));
}

// ------------------------------------------------------ StripMetadataFrom

// Images with nothing to strip are left where they are: not copied.
TEST(StripMetadataFromTest, LeavesAnImageWithoutMetadataInPlace) {
  for (const std::string& original :
       {Jpeg(4, 3, JfifSegment()), Png(7, 7, PngChunkBytes("gAMA", "gama")),
        Webp(RiffChunkBytes("VP8 ", Vp8Payload(3, 3))),
        Webp(absl::StrCat(RiffChunkBytes("VP8X", Vp8xPayload(0x02, 8, 8)),
                          RiffChunkBytes("ANIM", std::string(6, '\0')),
                          RiffChunkBytes("ANMF", AnmfPayload(0, 0, 8, 8)))),
        absl::StrCat(GifHeader(4, 4), GifImage(0, 0, 4, 4), ";")}) {
    std::string image = original;
    const char* const buffer = image.data();
    absl::StatusOr<bool> changed = StripMetadataFrom(image);
    ASSERT_TRUE(changed.ok()) << changed.status();
    EXPECT_FALSE(*changed);
    EXPECT_EQ(image.data(), buffer);
    EXPECT_EQ(image, original);
  }
}

TEST(StripMetadataFromTest, ReplacesAnImageWithMetadataByTheStrippedCopy) {
  const std::string image_chunk = RiffChunkBytes("VP8 ", Vp8Payload(3, 3));
  for (const std::string& original :
       {ReadTestdata("photo_gps.jpg"), ReadTestdata("photo_gps_rotated.jpg"),
        ReadTestdata("photo_gps.webp"),
        Png(5, 5, PngChunkBytes("tEXt", "Comment secret")),
        // Only what follows the image differs, or only the RIFF size.
        absl::StrCat(Png(5, 5, ""), "trailing junk"),
        absl::StrCat(Webp(image_chunk), "tail"),
        // A VP8X whose XMP flag is set with no XMP chunk: only a flag goes.
        Webp(
            absl::StrCat(RiffChunkBytes("VP8X", Vp8xPayload(0x02 | 0x04, 8, 8)),
                         RiffChunkBytes("ANIM", std::string(6, '\0')),
                         RiffChunkBytes("ANMF", AnmfPayload(0, 0, 8, 8))))}) {
    std::string image = original;
    absl::StatusOr<bool> changed = StripMetadataFrom(image);
    ASSERT_TRUE(changed.ok()) << changed.status();
    EXPECT_TRUE(*changed);
    EXPECT_EQ(image, Strip(original));
    EXPECT_NE(image, original);
  }
}

TEST(StripMetadataFromTest, LeavesARefusedImageAsItWas) {
  const std::string original = Png(1, 1, "", PngChunkBytes("ABCD", ""));
  std::string image = original;
  EXPECT_FALSE(StripMetadataFrom(image).ok());
  EXPECT_EQ(image, original);
}

// ----------------------------------------------------------------- PNG

TEST(StripMetadataTest, PngDropsTextTimeExifAndPrivateChunks) {
  const std::string kept_before =
      absl::StrCat(PngChunkBytes("gAMA", "gama"), PngChunkBytes("cHRM", "chrm"),
                   PngChunkBytes("sRGB", "s"), PngChunkBytes("iCCP", "icc"),
                   PngChunkBytes("pHYs", "phys"), PngChunkBytes("sBIT", "sb"),
                   PngChunkBytes("bKGD", "bk"), PngChunkBytes("tRNS", "tr"),
                   PngChunkBytes("cICP", "cicp"),
                   PngChunkBytes("acTL", std::string("\0\0\0\x01\0\0\0\0", 8)),
                   PngChunkBytes("fcTL", "fctl"));
  const std::string dropped_before = absl::StrCat(
      PngChunkBytes("eXIf", GpsExifTiff(6)),
      PngChunkBytes("tEXt", "Comment secret comment"),
      PngChunkBytes("iTXt", absl::StrCat("XML:com.adobe.xmp ", XmpPacket())),
      PngChunkBytes("zTXt", "Author x"), PngChunkBytes("tIME", "1234567"),
      PngChunkBytes("prVt", "private"), PngChunkBytes("sPLT", "splt"));
  const std::string kept_after = PngChunkBytes("fdAT", "fdat");
  const std::string dropped_after = PngChunkBytes("tEXt", "late");
  const std::string original =
      absl::StrCat(Png(5, 5, absl::StrCat(dropped_before, kept_before),
                       absl::StrCat(kept_after, dropped_after)),
                   "trailing junk");
  const std::string out = Strip(original);
  EXPECT_EQ(out, Png(5, 5, kept_before, kept_after));
  ExpectNoGpsOrXmp(out);
  EXPECT_FALSE(absl::StrContains(out, "eXIf"));
  ExpectStrippedWell(original, out);
}

TEST(StripMetadataTest, PngWithoutMetadataIsUnchanged) {
  const std::string png = Png(7, 7, PngChunkBytes("gAMA", "gama"));
  EXPECT_EQ(Strip(png), png);
}

TEST(StripMetadataTest, PngRefusesUnknownCriticalChunksAfterTheImageData) {
  absl::StatusOr<std::string> out =
      StripMetadata(Png(1, 1, "", PngChunkBytes("ABCD", "")));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(),
              HasSubstr("critical chunk of unknown type ABCD"));
}

TEST(StripMetadataTest, PngFixtureLosesMetadataAndKeepsItsChunksVerbatim) {
  const std::string original = ReadTestdata("photo_gps.png");
  ASSERT_TRUE(absl::StrContains(original, GpsLatitudeBytes()));
  const std::string out = Strip(original);
  ExpectNoGpsOrXmp(out);
  for (absl::string_view type : {"eXIf", "tEXt", "zTXt", "iTXt", "tIME"}) {
    EXPECT_TRUE(absl::StrContains(original, type)) << type;
    EXPECT_FALSE(absl::StrContains(out, type)) << type;
  }
  // IHDR (with its CRC), the image data and IEND are copied unchanged.
  const size_t idat = original.find("IDAT") - 4;
  const size_t idat_size =
      12 + (uint8_t(original[idat + 2]) << 8 | uint8_t(original[idat + 3]));
  const size_t iend = original.find("IEND") - 4;
  EXPECT_TRUE(absl::StrContains(out, original.substr(idat, idat_size)));
  EXPECT_EQ(out.substr(0, 33), original.substr(0, 33));
  EXPECT_TRUE(absl::EndsWith(out, original.substr(iend)));
  ExpectStrippedWell(original, out);
}

// ---------------------------------------------------------------- WebP

TEST(StripMetadataTest, WebpDropsExifAndXmpAndFixesFlagsAndSize) {
  const std::string icc = RiffChunkBytes("ICCP", "icc");
  const std::string alpha = RiffChunkBytes("ALPH", "alpha");
  const std::string image = RiffChunkBytes("VP8 ", Vp8Payload(30, 20));
  const std::string original = Webp(absl::StrCat(
      RiffChunkBytes("VP8X", Vp8xPayload(0x20 | 0x10 | 0x08 | 0x04, 30, 20)),
      icc, alpha, image, RiffChunkBytes("EXIF", GpsExifTiff(1)),
      RiffChunkBytes("XMP ", XmpPacket()), RiffChunkBytes("JUNK", "x")));
  const std::string out = Strip(original);
  EXPECT_EQ(out, Webp(absl::StrCat(
                     RiffChunkBytes("VP8X", Vp8xPayload(0x20 | 0x10, 30, 20)),
                     icc, alpha, image)));
  ExpectNoGpsOrXmp(out);
  EXPECT_FALSE(absl::StrContains(out, "EXIF"));
  EXPECT_FALSE(absl::StrContains(out, "XMP "));
  ExpectStrippedWell(original, out);
}

TEST(StripMetadataTest, WebpKeepsTheOrientation) {
  const std::string image = RiffChunkBytes("VP8L", Vp8lPayload(30, 20));
  const std::string original = Webp(absl::StrCat(
      RiffChunkBytes("VP8X", Vp8xPayload(0x08 | 0x04, 30, 20)), image,
      RiffChunkBytes("EXIF", absl::StrCat(kExifHeader, GpsExifTiff(8))),
      RiffChunkBytes("XMP ", XmpPacket())));
  const std::string out = Strip(original);
  EXPECT_EQ(out, Webp(absl::StrCat(
                     RiffChunkBytes("VP8X", Vp8xPayload(0x08, 30, 20)), image,
                     RiffChunkBytes("EXIF", OrientationOnlyExif(8)))));
  ExpectStrippedWell(original, out);
}

TEST(StripMetadataTest, WebpKeepsAnimations) {
  const std::string chunks =
      absl::StrCat(RiffChunkBytes("ANIM", std::string(6, '\0')),
                   RiffChunkBytes("ANMF", AnmfPayload(0, 0, 8, 8)),
                   RiffChunkBytes("ANMF", AnmfPayload(2, 2, 4, 4)));
  const std::string original =
      Webp(absl::StrCat(RiffChunkBytes("VP8X", Vp8xPayload(0x02 | 0x04, 8, 8)),
                        chunks, RiffChunkBytes("XMP ", XmpPacket())));
  EXPECT_EQ(Strip(original),
            Webp(absl::StrCat(RiffChunkBytes("VP8X", Vp8xPayload(0x02, 8, 8)),
                              chunks)));
}

TEST(StripMetadataTest, SimpleWebpKeepsOnlyItsImageChunk) {
  const std::string image = RiffChunkBytes("VP8 ", Vp8Payload(3, 3));
  EXPECT_EQ(Strip(Webp(image)), Webp(image));
  EXPECT_EQ(
      Strip(absl::StrCat(Webp(absl::StrCat(image, RiffChunkBytes("EXIF", "x"))),
                         "tail")),
      Webp(image));
}

TEST(StripMetadataTest, WebpFixtureLosesMetadataAndKeepsItsImageChunk) {
  const std::string original = ReadTestdata("photo_gps.webp");
  ASSERT_TRUE(absl::StrContains(original, GpsLatitudeBytes()));
  const std::string out = Strip(original);
  ExpectNoGpsOrXmp(out);
  const size_t vp8 = original.find("VP8 ");
  const size_t exif = original.find("EXIF");
  ASSERT_LT(vp8, exif);
  EXPECT_TRUE(absl::EndsWith(out, original.substr(vp8, exif - vp8)));
  EXPECT_EQ(out[20], 0);  // VP8X flags.
  ExpectStrippedWell(original, out);
}

// ----------------------------------------------------------------- GIF

TEST(StripMetadataTest, GifDropsCommentsAndUnknownApplicationExtensions) {
  const std::string loop =
      GifApplicationExtension("NETSCAPE2.0", std::string("\x01\x00\x00", 3));
  const std::string icc = GifApplicationExtension("ICCRGBG1012", "profile");
  const std::string control = GifExtension(0xF9, std::string("\0\x0A\0\0", 4));
  const std::string text = GifExtension(0x01, std::string(13, 'p'));
  const std::string image = GifImage(0, 0, 4, 4);
  const std::string original = absl::StrCat(
      GifHeader(4, 4), loop, GifExtension(0xFE, "secret comment"),
      GifApplicationExtension("XMP DataXMP", XmpPacket()), icc, control, image,
      GifExtension(0x42, "unknown"), text, ";", "trailing");
  const std::string out = Strip(original);
  EXPECT_EQ(
      out, absl::StrCat(GifHeader(4, 4), loop, icc, control, image, text, ";"));
  ExpectNoGpsOrXmp(out);
  ExpectStrippedWell(original, out);
}

TEST(StripMetadataTest, GifFixtureLosesMetadata) {
  const std::string original = ReadTestdata("animated_comment.gif");
  const std::string out = Strip(original);
  ExpectNoGpsOrXmp(out);
  EXPECT_TRUE(absl::StrContains(out, "NETSCAPE2.0"));
  ExpectStrippedWell(original, out);
}

TEST(StripMetadataTest, WebpFixtureLosesBytesAfterTheRiffData) {
  // ImageMagick 6 appends a second, still WebP after the animation: the
  // RIFF size covers the animation only, and decoders ignore the rest.
  const std::string original = ReadTestdata("animated.webp");
  const uint32_t riff_size = uint8_t(original[4]) | uint8_t(original[5]) << 8;
  ASSERT_LT(riff_size + 8, original.size());
  const std::string out = Strip(original);
  EXPECT_EQ(out, original.substr(0, riff_size + 8));
  ExpectStrippedWell(original, out);
}

// ----------------------------------------------------------------- All

TEST(StripMetadataTest, RefusesWhatInspectImageRefuses) {
  for (absl::string_view bytes :
       {absl::string_view("not an image"), absl::string_view("\xFF\xD8\xFF"),
        absl::string_view("GIF89a")}) {
    absl::StatusOr<std::string> out = StripMetadata(bytes);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status(), InspectImage(bytes).status());
  }
}

TEST(StripMetadataTest, RefusesStructureBrokenAfterTheHeaders) {
  std::string png = Png(1, 1);
  png.resize(png.size() - 12);  // Valid up to IDAT, then no IEND.
  absl::StatusOr<std::string> out = StripMetadata(png);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("without an IEND chunk"));

  const std::string webp =
      Webp(absl::StrCat(RiffChunkBytes("VP8X", Vp8xPayload(0, 2, 2)),
                        RiffChunkBytes("VP8L", Vp8lPayload(2, 2)),
                        std::string("EXIF\xFF\0\0\0", 8)));
  out = StripMetadata(webp);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("WebP is truncated"));
}

TEST(StripMetadataTest, EveryTruncationOfTheFixturesFailsCleanly) {
  for (const char* name : {"photo_gps.jpg", "photo_gps.png", "photo_gps.webp",
                           "animated_comment.gif", "animated.webp"}) {
    const std::string bytes = ReadTestdata(name);
    for (size_t size = 0; size < bytes.size(); ++size) {
      const std::string prefix = bytes.substr(0, size);
      absl::StatusOr<std::string> out = StripMetadata(prefix);
      if (out.ok()) {
        EXPECT_LE(out->size(), prefix.size());
        EXPECT_EQ(Strip(*out), *out);
      } else {
        EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
      }
    }
  }
}

}  // namespace
}  // namespace userimage
