#include "server/image/image_info.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using ::testing::HasSubstr;
using namespace test_images;  // NOLINT: builders of test images.

MATCHER_P4(IsInfo, type, width, height, frames, "") {
  if (!arg.ok()) {
    *result_listener << "status " << arg.status();
    return false;
  }
  *result_listener << "info " << arg->width << "x" << arg->height << ", "
                   << arg->frame_count << " frames";
  return *arg == ImageInfo{type, static_cast<uint32_t>(width),
                           static_cast<uint32_t>(height),
                           static_cast<uint32_t>(frames)};
}

MATCHER_P(IsInvalid, message, "") {
  if (arg.ok()) return false;
  *result_listener << "status " << arg.status();
  return arg.status().code() == absl::StatusCode::kInvalidArgument &&
         absl::StrContains(arg.status().message(), message);
}

// ---------------------------------------------------------------- JPEG

TEST(InspectImageTest, JpegSizeFromTheFrameHeader) {
  EXPECT_THAT(InspectImage(Jpeg(640, 480)),
              IsInfo(ImageType::kJpeg, 640, 480, 1));
  EXPECT_THAT(InspectImage(Jpeg(65535, 1)),
              IsInfo(ImageType::kJpeg, 65535, 1, 1));
}

TEST(InspectImageTest, JpegFrameHeaderAfterMetadataFillBytesAndRestarts) {
  const std::string segments = absl::StrCat(
      JfifSegment(), JpegSegmentBytes(0xE1, std::string(5000, 'x')),
      "\xFF\xFF\xFF", JpegSegmentBytes(0xFE, "comment"), "\xFF\xD0");
  EXPECT_THAT(InspectImage(Jpeg(3, 7, segments)),
              IsInfo(ImageType::kJpeg, 3, 7, 1));
}

TEST(InspectImageTest, JpegProgressiveAndOtherFrameTypes) {
  for (uint8_t sof : {0xC1, 0xC2, 0xC3, 0xC9, 0xCF}) {
    std::string jpeg = Jpeg(21, 13);
    jpeg[jpeg.find("\xFF\xC0")] = '\xFF';
    jpeg[jpeg.find("\xFF\xC0") + 1] = static_cast<char>(sof);
    EXPECT_THAT(InspectImage(jpeg), IsInfo(ImageType::kJpeg, 21, 13, 1))
        << static_cast<int>(sof);
  }
}

TEST(InspectImageTest, JpegZeroHeightIsReportedAsIs) {
  // Height 0 (defined later by DNL) is legal JPEG; CheckDimensions refuses.
  EXPECT_THAT(InspectImage(Jpeg(5, 0)), IsInfo(ImageType::kJpeg, 5, 0, 1));
}

TEST(InspectImageTest, JpegErrors) {
  EXPECT_THAT(InspectImage(absl::StrCat(
                  "\xFF\xD8", JpegSegmentBytes(0xDA, std::string(8, '\1')),
                  "data\xFF\xD9")),
              IsInvalid("no frame header (SOF marker) before its image data"));
  EXPECT_THAT(InspectImage(
                  absl::StrCat("\xFF\xD8", JpegSegmentBytes(0xC0, "\x08\x01"))),
              IsInvalid("its SOF0 frame header at byte 2 has an invalid "
                        "length (4 bytes)"));
  // Component count disagrees with the length.
  std::string sof = Sof0Segment(4, 4);
  sof[9] = 2;
  EXPECT_THAT(InspectImage(absl::StrCat("\xFF\xD8", sof)),
              IsInvalid("invalid length (17 bytes)"));
  EXPECT_THAT(InspectImage(absl::StrCat("\xFF\xD8\xFF", "\xE1\x10")),
              IsInvalid("truncated"));
}

// ----------------------------------------------------------------- PNG

TEST(InspectImageTest, PngSizeFromIhdr) {
  EXPECT_THAT(InspectImage(Png(1920, 1080)),
              IsInfo(ImageType::kPng, 1920, 1080, 1));
}

TEST(InspectImageTest, PngPaletteAndOtherFormats) {
  const std::string palette =
      absl::StrCat("\x89PNG\r\n\x1A\n", IhdrChunk(2, 3, 4, 3),
                   PngChunkBytes("PLTE", "abcdef"), PngChunkBytes("IDAT", "x"),
                   PngChunkBytes("IEND", ""));
  EXPECT_THAT(InspectImage(palette), IsInfo(ImageType::kPng, 2, 3, 1));
  const std::string grey16 =
      absl::StrCat("\x89PNG\r\n\x1A\n", IhdrChunk(9, 8, 16, 0),
                   PngChunkBytes("IDAT", "x"), PngChunkBytes("IEND", ""));
  EXPECT_THAT(InspectImage(grey16), IsInfo(ImageType::kPng, 9, 8, 1));
}

TEST(InspectImageTest, AnimatedPngFrameCountFromActl) {
  const std::string actl =
      PngChunkBytes("acTL", std::string("\0\0\0\x05\0\0\0\0", 8));
  EXPECT_THAT(InspectImage(Png(10, 10, actl)),
              IsInfo(ImageType::kPng, 10, 10, 5));
  // After IDAT it is not an APNG.
  EXPECT_THAT(InspectImage(Png(10, 10, "", actl)),
              IsInfo(ImageType::kPng, 10, 10, 1));
}

TEST(InspectImageTest, PngErrors) {
  const std::string signature = "\x89PNG\r\n\x1A\n";
  std::string ihdr_short =
      absl::StrCat(signature, PngChunkBytes("IHDR", std::string(12, '\0')));
  EXPECT_THAT(InspectImage(ihdr_short),
              IsInvalid("its IHDR chunk is 12 bytes long instead of 13"));
  EXPECT_THAT(InspectImage(Png(0x80000000u, 1)),
              IsInvalid("impossible size 2147483648x1"));
  EXPECT_THAT(
      InspectImage(absl::StrCat(signature, IhdrChunk(1, 1, 16, 3))),
      IsInvalid("invalid combination of colour type 3 and bit depth 16"));
  EXPECT_THAT(InspectImage(absl::StrCat(signature, IhdrChunk(1, 1, 8, 5))),
              IsInvalid("colour type 5"));
  std::string interlace = Png(1, 1);
  interlace[28] = 2;
  EXPECT_THAT(InspectImage(interlace),
              IsInvalid("unknown compression (0), filter (0) or interlace "
                        "(2) methods"));
  EXPECT_THAT(InspectImage(absl::StrCat(signature, IhdrChunk(1, 1),
                                        PngChunkBytes("IEND", ""))),
              IsInvalid("it has no image data (IDAT chunk)"));
  EXPECT_THAT(InspectImage(absl::StrCat(signature, IhdrChunk(1, 1))),
              IsInvalid("truncated: it ends at byte 33 without an IEND"));
  EXPECT_THAT(InspectImage(Png(1, 1, PngChunkBytes("ABCD", ""))),
              IsInvalid("not supported: it has a critical chunk of unknown "
                        "type ABCD"));
  EXPECT_THAT(InspectImage(Png(1, 1, PngChunkBytes("acTL", "abc"))),
              IsInvalid("animation control (acTL) chunk is invalid"));
  EXPECT_THAT(
      InspectImage(Png(1, 1, PngChunkBytes("acTL", std::string(8, '\0')))),
      IsInvalid("animation control (acTL) chunk is invalid"));
  EXPECT_THAT(InspectImage(absl::StrCat(signature, IhdrChunk(1, 1, 8, 3),
                                        PngChunkBytes("IDAT", "x"),
                                        PngChunkBytes("IEND", ""))),
              IsInvalid("palette image without a palette"));
}

// ----------------------------------------------------------------- GIF

TEST(InspectImageTest, GifSizeFromTheLogicalScreen) {
  EXPECT_THAT(InspectImage(absl::StrCat(GifHeader(300, 200),
                                        GifImage(0, 0, 300, 200), ";")),
              IsInfo(ImageType::kGif, 300, 200, 1));
}

TEST(InspectImageTest, GifCountsFramesAndGrowsTheCanvasToHoldThem) {
  const std::string gif = absl::StrCat(
      GifHeader(10, 10), GifExtension(0xF9, std::string("\0\x0A\0\0", 4)),
      GifImage(0, 0, 10, 10), GifExtension(0xFE, "comment"),
      GifImage(5, 0, 60000, 4), GifImage(65535, 65535, 65535, 65535), ";");
  EXPECT_THAT(InspectImage(gif), IsInfo(ImageType::kGif, 131070, 131070, 3));
}

TEST(InspectImageTest, GifErrors) {
  EXPECT_THAT(InspectImage(absl::StrCat(GifHeader(1, 1), ";")),
              IsInvalid("the GIF is damaged: it contains no image"));
  EXPECT_THAT(InspectImage("GIF87a\x01"), IsInvalid("truncated"));
  EXPECT_THAT(InspectImage(absl::StrCat(GifHeader(1, 1), "\x2C\x01")),
              IsInvalid("it ends inside the image at byte 19"));
}

// ---------------------------------------------------------------- WebP

TEST(InspectImageTest, WebpLossySize) {
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8 ", Vp8Payload(400, 300)))),
              IsInfo(ImageType::kWebp, 400, 300, 1));
  // The upscaling bits are not part of the size.
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes(
                  "VP8 ", Vp8Payload(0xC000 | 16383, 0x4000 | 7)))),
              IsInfo(ImageType::kWebp, 16383, 7, 1));
}

TEST(InspectImageTest, WebpLosslessSize) {
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8L", Vp8lPayload(1, 16384)))),
              IsInfo(ImageType::kWebp, 1, 16384, 1));
}

TEST(InspectImageTest, WebpExtendedStillImage) {
  const std::string webp = Webp(absl::StrCat(
      RiffChunkBytes("VP8X", Vp8xPayload(0x10 | 0x08, 120, 80)),
      RiffChunkBytes("ICCP", "profile"), RiffChunkBytes("ALPH", "alpha"),
      RiffChunkBytes("VP8 ", Vp8Payload(120, 80)),
      RiffChunkBytes("EXIF", GpsExifTiff(1))));
  EXPECT_THAT(InspectImage(webp), IsInfo(ImageType::kWebp, 120, 80, 1));
}

TEST(InspectImageTest, WebpExtendedCanvasUsesTwentyFourBits) {
  const std::string webp =
      Webp(absl::StrCat(RiffChunkBytes("VP8X", Vp8xPayload(0x02, 1 << 24, 2)),
                        RiffChunkBytes("ANIM", std::string(6, '\0')),
                        RiffChunkBytes("ANMF", AnmfPayload(0, 0, 4, 2))));
  EXPECT_THAT(InspectImage(webp), IsInfo(ImageType::kWebp, 1 << 24, 2, 1));
}

TEST(InspectImageTest, WebpAnimationCountsFrames) {
  const std::string webp =
      Webp(absl::StrCat(RiffChunkBytes("VP8X", Vp8xPayload(0x02, 100, 50)),
                        RiffChunkBytes("ANIM", std::string(6, '\0')),
                        RiffChunkBytes("ANMF", AnmfPayload(0, 0, 100, 50)),
                        RiffChunkBytes("ANMF", AnmfPayload(10, 20, 90, 30)),
                        RiffChunkBytes("ANMF", AnmfPayload(98, 48, 2, 2))));
  EXPECT_THAT(InspectImage(webp), IsInfo(ImageType::kWebp, 100, 50, 3));
}

TEST(InspectImageTest, WebpErrors) {
  const std::string vp8x = RiffChunkBytes("VP8X", Vp8xPayload(0, 10, 10));
  EXPECT_THAT(InspectImage(Webp("")), IsInvalid("it contains no chunks"));
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("ICCP", "x"))),
              IsInvalid("its first chunk is \"ICCP\" instead of VP8, VP8L or "
                        "VP8X"));
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8 ", "abc"))),
              IsInvalid("its VP8 frame header is incomplete"));
  std::string interframe = Vp8Payload(1, 1);
  interframe[0] |= 1;
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8 ", interframe))),
              IsInvalid("its VP8 frame header is invalid"));
  std::string bad_start = Vp8Payload(1, 1);
  bad_start[3] = 0;
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8 ", bad_start))),
              IsInvalid("its VP8 frame header is invalid"));
  std::string big_partition = Vp8Payload(1, 1);
  big_partition[2] = '\x7F';
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8 ", big_partition))),
              IsInvalid("its VP8 frame header is invalid"));
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8L", "\x2F\x01"))),
              IsInvalid("its VP8L header is incomplete"));
  std::string bad_signature = Vp8lPayload(1, 1);
  bad_signature[0] = 0x2E;
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8L", bad_signature))),
              IsInvalid("its VP8L header is invalid"));
  std::string bad_version = Vp8lPayload(1, 1);
  bad_version[4] |= 0x20;
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8L", bad_version))),
              IsInvalid("its VP8L header is invalid"));
  EXPECT_THAT(InspectImage(Webp(RiffChunkBytes("VP8X", "abc"))),
              IsInvalid("its VP8X chunk is 3 bytes long instead of 10"));
  EXPECT_THAT(InspectImage(Webp(vp8x)),
              IsInvalid("it has no image data (VP8 or VP8L chunk)"));
  EXPECT_THAT(InspectImage(Webp(absl::StrCat(
                  vp8x, RiffChunkBytes("VP8L", Vp8lPayload(11, 10))))),
              IsInvalid("its image is 11x10 but its canvas is 10x10"));
  const std::string animated = RiffChunkBytes("VP8X", Vp8xPayload(2, 10, 10));
  EXPECT_THAT(InspectImage(Webp(animated)),
              IsInvalid("it is animated but has no frames (ANMF chunks)"));
  EXPECT_THAT(InspectImage(Webp(absl::StrCat(
                  animated, RiffChunkBytes("ANMF", AnmfPayload(2, 0, 9, 10))))),
              IsInvalid("animation frame 1 (9x10 at 2,0) extends outside the "
                        "10x10 canvas"));
  EXPECT_THAT(InspectImage(Webp(
                  absl::StrCat(animated, RiffChunkBytes("ANMF", "short")))),
              IsInvalid("the header of animation frame 1 is incomplete"));
  EXPECT_THAT(
      InspectImage(Webp(absl::StrCat(
          animated,
          RiffChunkBytes("ANMF", AnmfPayload(0, 0, 10, 10).substr(0, 16))))),
      IsInvalid("animation frame 1 has no image data"));
  std::string mismatched = AnmfPayload(0, 0, 10, 10);
  mismatched.replace(16, std::string::npos,
                     RiffChunkBytes("VP8L", Vp8lPayload(3, 3)));
  EXPECT_THAT(InspectImage(Webp(
                  absl::StrCat(animated, RiffChunkBytes("ANMF", mismatched)))),
              IsInvalid("animation frame 1 holds a 3x3 image but its header "
                        "says 10x10"));
  EXPECT_THAT(
      InspectImage(Webp(absl::StrCat(
          animated,
          RiffChunkBytes("ANMF",
                         absl::StrCat(AnmfPayload(0, 0, 10, 10).substr(0, 16),
                                      "VP8L\x09"))))),
      IsInvalid("the WebP animation frame is truncated"));
}

// ----------------------------------------------------------------- All

TEST(InspectImageTest, RefusesOtherFormats) {
  for (absl::string_view bytes :
       {absl::string_view(""), absl::string_view("hello"),
        absl::string_view("%PDF-1.7"), absl::string_view("BM\x36\x00")}) {
    EXPECT_THAT(InspectImage(bytes),
                IsInvalid("the file is not a JPEG, PNG, GIF or WebP image"));
  }
}

TEST(InspectImageTest, ReadsTheFixtures) {
  EXPECT_THAT(InspectImage(ReadTestdata("photo_gps.jpg")),
              IsInfo(ImageType::kJpeg, 24, 16, 1));
  EXPECT_THAT(InspectImage(ReadTestdata("photo_gps_rotated.jpg")),
              IsInfo(ImageType::kJpeg, 24, 16, 1));
  EXPECT_THAT(InspectImage(ReadTestdata("photo_gps.png")),
              IsInfo(ImageType::kPng, 24, 16, 1));
  EXPECT_THAT(InspectImage(ReadTestdata("photo_gps.webp")),
              IsInfo(ImageType::kWebp, 24, 16, 1));
  EXPECT_THAT(InspectImage(ReadTestdata("animated_comment.gif")),
              IsInfo(ImageType::kGif, 8, 6, 3));
  EXPECT_THAT(InspectImage(ReadTestdata("animated.webp")),
              IsInfo(ImageType::kWebp, 8, 6, 2));
}

TEST(InspectImageTest, EveryTruncationOfTheFixturesFailsCleanly) {
  for (const char* name : {"photo_gps.jpg", "photo_gps.png", "photo_gps.webp",
                           "animated_comment.gif", "animated.webp"}) {
    const std::string bytes = ReadTestdata(name);
    for (size_t size = 0; size < bytes.size(); ++size) {
      absl::StatusOr<ImageInfo> info = InspectImage(bytes.substr(0, size));
      if (!info.ok()) {
        EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
        EXPECT_FALSE(info.status().message().empty());
      }
    }
  }
}

}  // namespace
}  // namespace userimage
