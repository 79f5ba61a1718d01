#include "server/image/riff_chunks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using test_images::RiffChunkBytes;
using test_images::Webp;
using ::testing::HasSubstr;

absl::StatusOr<std::vector<RiffChunk>> Walk(absl::string_view data) {
  RiffChunkReader reader(data, "WebP");
  std::vector<RiffChunk> chunks;
  while (true) {
    absl::StatusOr<std::optional<RiffChunk>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    chunks.push_back(**next);
  }
  return chunks;
}

TEST(ReadWebpContainerTest, SplitsChunksFromTrailingData) {
  const std::string chunks = RiffChunkBytes("VP8L", "abcd");
  const std::string webp = absl::StrCat(Webp(chunks), "junk");
  absl::StatusOr<WebpContainer> container = ReadWebpContainer(webp);
  ASSERT_TRUE(container.ok()) << container.status();
  EXPECT_EQ(container->chunks, chunks);
  EXPECT_EQ(container->trailing_data, "junk");
}

TEST(ReadWebpContainerTest, RefusesBadHeaders) {
  struct Case {
    std::string bytes;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "does not start with a RIFF WEBP header"},
      {std::string("RIFF\x04\0\0\0WAVE", 12),
       "does not start with a RIFF WEBP header"},
      {std::string("RIFF\x02\0\0\0WEBP", 12), "impossible size 2"},
      {std::string("RIFF\x0C\0\0\0WEBPVP8L", 16),
       "truncated: its RIFF header declares 20 bytes but the file has only 16"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<WebpContainer> container = ReadWebpContainer(c.bytes);
    ASSERT_FALSE(container.ok()) << c.message;
    EXPECT_EQ(container.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(container.status().message(), HasSubstr(c.message));
  }
}

TEST(RiffChunkReaderTest, WalksChunksWithPadding) {
  const std::string odd = RiffChunkBytes("ALPH", "abc");
  const std::string even = RiffChunkBytes("VP8 ", "abcd");
  const std::string data = absl::StrCat(odd, even);
  absl::StatusOr<std::vector<RiffChunk>> chunks = Walk(data);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  ASSERT_EQ(chunks->size(), 2u);
  EXPECT_EQ((*chunks)[0].fourcc, "ALPH");
  EXPECT_EQ((*chunks)[0].payload, "abc");
  EXPECT_EQ((*chunks)[0].bytes, odd);
  EXPECT_EQ((*chunks)[0].bytes.size(), 12u);
  EXPECT_EQ((*chunks)[1].fourcc, "VP8 ");
  EXPECT_EQ((*chunks)[1].bytes, even);
}

TEST(RiffChunkReaderTest, AcceptsAMissingFinalPaddingByte) {
  std::string data = RiffChunkBytes("EXIF", "abc");
  data.pop_back();
  absl::StatusOr<std::vector<RiffChunk>> chunks = Walk(data);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  ASSERT_EQ(chunks->size(), 1u);
  EXPECT_EQ((*chunks)[0].payload, "abc");
  EXPECT_EQ((*chunks)[0].bytes, data);
}

TEST(RiffChunkReaderTest, ReportsTruncatedChunks) {
  absl::StatusOr<std::vector<RiffChunk>> chunks = Walk("VP8 \x01");
  ASSERT_FALSE(chunks.ok());
  EXPECT_THAT(chunks.status().message(),
              HasSubstr("WebP is truncated: it ends inside a chunk header (5 "
                        "bytes left where 8 are needed)"));

  chunks = Walk(absl::StrCat(RiffChunkBytes("ICCP", "ab"),
                             std::string("VP8L\xFF\xFF\xFF\xFFxyz", 11)));
  ASSERT_FALSE(chunks.ok());
  EXPECT_THAT(chunks.status().message(),
              HasSubstr("its \"VP8L\" chunk declares 4294967295 bytes but "
                        "only 3 remain"));
  RiffChunkReader reader("\x01", "WebP animation frame");
  const absl::Status error = reader.Next().status();
  EXPECT_THAT(error.message(), HasSubstr("the WebP animation frame is"));
  EXPECT_EQ(reader.Next().status(), error);
}

TEST(RiffChunkReaderTest, EscapesBinaryChunkNames) {
  absl::StatusOr<std::vector<RiffChunk>> chunks =
      Walk(std::string("\x01\x02\"\n\x05\0\0\0", 8));
  ASSERT_FALSE(chunks.ok());
  EXPECT_THAT(chunks.status().message(),
              HasSubstr("\"\\x01\\x02\\\"\\n\" chunk declares 5 bytes"));
}

}  // namespace
}  // namespace userimage
