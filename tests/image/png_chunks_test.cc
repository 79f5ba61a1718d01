#include "server/image/png_chunks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using test_images::IhdrChunk;
using test_images::Png;
using test_images::PngChunkBytes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<std::vector<PngChunk>> Walk(absl::string_view png,
                                           std::string* trailing = nullptr) {
  PngChunkReader reader(png);
  std::vector<PngChunk> chunks;
  while (true) {
    absl::StatusOr<std::optional<PngChunk>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    chunks.push_back(**next);
  }
  if (trailing != nullptr) *trailing = std::string(reader.trailing_data());
  return chunks;
}

std::vector<std::string> Types(const std::vector<PngChunk>& chunks) {
  std::vector<std::string> types;
  for (const PngChunk& c : chunks) types.emplace_back(c.type);
  return types;
}

TEST(PngChunkReaderTest, WalksEveryChunk) {
  const std::string text = PngChunkBytes("tEXt", "Comment");
  const std::string png = absl::StrCat(Png(3, 2, text), "trailing");
  std::string trailing;
  absl::StatusOr<std::vector<PngChunk>> chunks = Walk(png, &trailing);
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  EXPECT_THAT(Types(*chunks), ElementsAre("IHDR", "tEXt", "IDAT", "IEND"));
  EXPECT_EQ((*chunks)[1].bytes, text);
  EXPECT_EQ((*chunks)[1].data, "Comment");
  EXPECT_EQ((*chunks)[0].offset, 8u);
  EXPECT_EQ((*chunks)[0].data.size(), 13u);
  EXPECT_EQ(trailing, "trailing");
  std::string rebuilt(kPngSignature);
  for (const PngChunk& c : *chunks) absl::StrAppend(&rebuilt, c.bytes);
  EXPECT_EQ(absl::StrCat(rebuilt, trailing), png);
}

TEST(PngChunkReaderTest, ClassifiesCriticalChunks) {
  EXPECT_TRUE(IsPngCriticalChunk("IHDR"));
  EXPECT_TRUE(IsPngCriticalChunk("IDAT"));
  EXPECT_FALSE(IsPngCriticalChunk("tEXt"));
  EXPECT_FALSE(IsPngCriticalChunk("eXIf"));
  EXPECT_FALSE(IsPngCriticalChunk(""));
}

struct BadPng {
  std::string name;
  std::string bytes;
  std::string message;
};

TEST(PngChunkReaderTest, ReportsWhatIsWrongWithBrokenFiles) {
  const std::string signature(kPngSignature);
  const std::string ihdr = IhdrChunk(1, 1);
  const std::vector<BadPng> cases = {
      {"empty", "", "does not start with the PNG signature"},
      {"bad signature", "\x89PNG\r\n\x1A\r", "does not start with the PNG"},
      {"only signature", signature, "it ends at byte 8 without an IEND"},
      {"cut header", absl::StrCat(signature, std::string("\0\0\0\rIH", 6)),
       "ends inside the chunk header at byte 8"},
      {"not IHDR first", absl::StrCat(signature, PngChunkBytes("IDAT", "")),
       "its first chunk is IDAT instead of IHDR"},
      {"bad type", absl::StrCat(signature, ihdr, PngChunkBytes("ab1d", "")),
       "the chunk at byte 33 has the invalid type \"ab1d\""},
      {"huge length",
       absl::StrCat(signature, ihdr, std::string("\x80\0\0\0tEXt", 8)),
       "its tEXt chunk at byte 33 declares 2147483648 bytes, more than PNG"},
      {"cut chunk",
       absl::StrCat(signature, ihdr, std::string("\0\0\0\x10tEXtabc", 11)),
       "truncated: its tEXt chunk at byte 33 needs 20 more bytes but only 3 "
       "remain"},
      {"cut CRC", absl::StrCat(signature, std::string(ihdr, 0, 23)),
       "its IHDR chunk at byte 8 needs 17 more bytes but only 15 remain"},
      {"no IEND", absl::StrCat(signature, ihdr),
       "truncated: it ends at byte 33 without an IEND chunk"},
  };
  for (const BadPng& c : cases) {
    absl::StatusOr<std::vector<PngChunk>> chunks = Walk(c.bytes);
    ASSERT_FALSE(chunks.ok()) << c.name;
    EXPECT_EQ(chunks.status().code(), absl::StatusCode::kInvalidArgument)
        << c.name;
    EXPECT_THAT(chunks.status().message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(PngChunkReaderTest, ErrorsAndEndAreSticky) {
  PngChunkReader broken("not a png");
  const absl::Status error = broken.Next().status();
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(broken.Next().status(), error);
  EXPECT_EQ(broken.trailing_data(), "");

  const std::string png = Png(1, 1);
  PngChunkReader reader(png);
  while (reader.Next().value().has_value()) {
  }
  EXPECT_FALSE(reader.Next().value().has_value());
}

}  // namespace
}  // namespace userimage
