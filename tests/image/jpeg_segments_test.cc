#include "server/image/jpeg_segments.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using test_images::Jpeg;
using test_images::JpegBody;
using test_images::JpegSegmentBytes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Walks `jpeg` to the end; returns the markers, or the error.
absl::StatusOr<std::vector<JpegSegment>> Walk(absl::string_view jpeg,
                                              std::string* trailing = nullptr) {
  JpegSegmentReader reader(jpeg);
  std::vector<JpegSegment> segments;
  while (true) {
    absl::StatusOr<std::optional<JpegSegment>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    segments.push_back(**next);
  }
  if (trailing != nullptr) *trailing = std::string(reader.trailing_data());
  return segments;
}

std::vector<int> Markers(const std::vector<JpegSegment>& segments) {
  std::vector<int> markers;
  for (const JpegSegment& s : segments) markers.push_back(s.marker);
  return markers;
}

std::string Concatenate(const std::vector<JpegSegment>& segments) {
  std::string out;
  for (const JpegSegment& s : segments) absl::StrAppend(&out, s.bytes);
  return out;
}

TEST(JpegSegmentReaderTest, WalksEveryPieceInOrder) {
  const std::string payload("Exif\0\0payload", 13);
  const std::string app1 = JpegSegmentBytes(0xE1, payload);
  const std::string jpeg = Jpeg(4, 3, app1);
  std::string trailing;
  absl::StatusOr<std::vector<JpegSegment>> segments = Walk(jpeg, &trailing);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_THAT(Markers(*segments),
              ElementsAre(0xD8, 0xE1, 0xDB, 0xC0, 0xC4, 0xDA, 0x00, 0xD9));
  EXPECT_EQ(Concatenate(*segments), jpeg);
  EXPECT_EQ(trailing, "");
  EXPECT_EQ((*segments)[1].bytes, app1);
  EXPECT_EQ((*segments)[1].payload, payload);
  EXPECT_EQ((*segments)[1].offset, 2u);
  // The entropy-coded data keeps its stuffed zero and restart marker.
  EXPECT_EQ((*segments)[6].bytes,
            std::string("\x12\x34\xFF\x00\x56\xFF\xD0\x78", 8));
}

TEST(JpegSegmentReaderTest, FillBytesBelongToTheFollowingSegment) {
  const std::string com = JpegSegmentBytes(0xFE, "hi");
  const std::string jpeg = Jpeg(4, 3, absl::StrCat("\xFF\xFF\xFF", com));
  absl::StatusOr<std::vector<JpegSegment>> segments = Walk(jpeg);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_EQ((*segments)[1].marker, 0xFE);
  EXPECT_EQ((*segments)[1].bytes, absl::StrCat("\xFF\xFF\xFF", com));
  EXPECT_EQ((*segments)[1].payload, "hi");
  EXPECT_EQ(Concatenate(*segments), jpeg);
}

TEST(JpegSegmentReaderTest, AcceptsStandaloneMarkersBetweenSegments) {
  const std::string jpeg = Jpeg(4, 3, "\xFF\xD3\xFF\x01");
  absl::StatusOr<std::vector<JpegSegment>> segments = Walk(jpeg);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_EQ((*segments)[1].marker, 0xD3);
  EXPECT_EQ((*segments)[1].payload, "");
  EXPECT_EQ((*segments)[2].marker, 0x01);
}

TEST(JpegSegmentReaderTest, WalksEveryScanOfAProgressiveJpeg) {
  std::string jpeg = Jpeg(4, 3);
  jpeg.resize(jpeg.size() - 2);  // Drop EOI, add a second scan.
  absl::StrAppend(&jpeg, JpegSegmentBytes(0xC4, std::string(17, '\0')),
                  JpegSegmentBytes(0xDA, std::string(8, '\1')), "\xAB\xFF",
                  std::string(1, '\0'), "\xFF\xD9", "tail");
  std::string trailing;
  absl::StatusOr<std::vector<JpegSegment>> segments = Walk(jpeg, &trailing);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_THAT(Markers(*segments), ElementsAre(0xD8, 0xDB, 0xC0, 0xC4, 0xDA, 0,
                                              0xC4, 0xDA, 0, 0xD9));
  EXPECT_EQ(trailing, "tail");
  EXPECT_EQ(absl::StrCat(Concatenate(*segments), trailing), jpeg);
}

TEST(JpegSegmentReaderTest, EndsNormallyWhenCompressedDataIsCutShort) {
  std::string jpeg = Jpeg(4, 3);
  jpeg.resize(jpeg.size() - 2);  // No EOI.
  absl::StatusOr<std::vector<JpegSegment>> segments = Walk(jpeg);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_EQ(segments->back().marker, 0x00);
  EXPECT_EQ(Concatenate(*segments), jpeg);

  jpeg.push_back('\xFF');  // A lone 0xFF at the very end.
  segments = Walk(jpeg);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_EQ(Concatenate(*segments), jpeg);
}

TEST(JpegSegmentReaderTest, EmptyScanIsNotReported) {
  const std::string jpeg =
      absl::StrCat("\xFF\xD8", JpegSegmentBytes(0xC0, std::string(15, '\1')),
                   JpegSegmentBytes(0xDA, std::string(8, '\1')), "\xFF\xD9");
  absl::StatusOr<std::vector<JpegSegment>> segments = Walk(jpeg);
  ASSERT_TRUE(segments.ok()) << segments.status();
  EXPECT_THAT(Markers(*segments), ElementsAre(0xD8, 0xC0, 0xDA, 0xD9));
}

struct BadJpeg {
  std::string name;
  std::string bytes;
  std::string message;
};

TEST(JpegSegmentReaderTest, ReportsWhatIsWrongWithBrokenFiles) {
  const std::string body = JpegBody(4, 3);
  const std::vector<BadJpeg> cases = {
      {"empty", "", "does not start with the JPEG start-of-image marker"},
      {"no SOI", "\xFF\xD9", "does not start with the JPEG start-of-image"},
      {"only SOI", "\xFF\xD8", "truncated: it ends before its image data"},
      {"stray byte", absl::StrCat("\xFF\xD8", "x", body),
       "damaged: byte 2 is 0x78 where a marker (0xFF) should begin"},
      {"ends in fill bytes", "\xFF\xD8\xFF\xFF",
       "truncated: it ends inside the marker at byte 2"},
      {"stuffed zero", absl::StrCat("\xFF\xD8\xFF", std::string(1, '\0')),
       "invalid marker 0xFF00"},
      {"second SOI", "\xFF\xD8\xFF\xD8", "invalid marker 0xFFD8"},
      {"EOI first", "\xFF\xD8\xFF\xD9", "before its image data (SOS marker)"},
      {"cut length", std::string("\xFF\xD8\xFF\xDB\x00", 5),
       "ends inside the length of the DQT segment at byte 2"},
      {"short length", absl::StrCat("\xFF\xD8\xFF\xE1", std::string(2, '\0')),
       "APP1 segment at byte 2 declares the impossible length 0"},
      {"cut segment",
       absl::StrCat(std::string("\xFF\xD8\xFF\xE1\x01\x00", 6), "abc"),
       "truncated: the APP1 segment at byte 2 declares 254 bytes but only 3 "
       "remain"},
  };
  for (const BadJpeg& c : cases) {
    absl::StatusOr<std::vector<JpegSegment>> segments = Walk(c.bytes);
    ASSERT_FALSE(segments.ok()) << c.name;
    EXPECT_EQ(segments.status().code(), absl::StatusCode::kInvalidArgument)
        << c.name;
    EXPECT_THAT(segments.status().message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(JpegSegmentReaderTest, ErrorsAndEndAreSticky) {
  JpegSegmentReader broken("\xFF\xD8x");
  ASSERT_TRUE(broken.Next().ok());  // SOI.
  const absl::Status error = broken.Next().status();
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(broken.Next().status(), error);

  const std::string jpeg = Jpeg(1, 1);
  JpegSegmentReader reader(jpeg);
  while (reader.Next().value().has_value()) {
  }
  absl::StatusOr<std::optional<JpegSegment>> again = reader.Next();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
}

TEST(JpegMarkerTest, ClassifiesAndNamesMarkers) {
  for (int m : {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB,
                0xCD, 0xCE, 0xCF}) {
    EXPECT_TRUE(IsJpegStartOfFrame(m)) << m;
  }
  for (int m : {0xC4, 0xC8, 0xCC, 0xDA, 0xDB, 0xE0, 0xBF, 0xD0}) {
    EXPECT_FALSE(IsJpegStartOfFrame(m)) << m;
  }
  EXPECT_EQ(JpegMarkerName(0xC2), "SOF2");
  EXPECT_EQ(JpegMarkerName(0xE1), "APP1");
  EXPECT_EQ(JpegMarkerName(0xEF), "APP15");
  EXPECT_EQ(JpegMarkerName(0xD5), "RST5");
  EXPECT_EQ(JpegMarkerName(0xDB), "DQT");
  EXPECT_EQ(JpegMarkerName(0xFE), "COM");
  EXPECT_EQ(JpegMarkerName(0xF3), "0xF3");
}

}  // namespace
}  // namespace userimage
