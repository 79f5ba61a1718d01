#include "server/image/gif_blocks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using test_images::GifApplicationExtension;
using test_images::GifExtension;
using test_images::GifHeader;
using test_images::GifImage;
using ::testing::HasSubstr;

absl::StatusOr<std::vector<GifBlock>> Walk(absl::string_view gif,
                                           std::string* trailing = nullptr) {
  GifBlockReader reader(gif);
  std::vector<GifBlock> blocks;
  while (true) {
    absl::StatusOr<std::optional<GifBlock>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    blocks.push_back(**next);
  }
  if (trailing != nullptr) *trailing = std::string(reader.trailing_data());
  return blocks;
}

TEST(GifBlockReaderTest, WalksEveryBlock) {
  const std::string header = GifHeader(10, 20);
  const std::string loop =
      GifApplicationExtension("NETSCAPE2.0", std::string("\x01\x00\x00", 3));
  const std::string comment = GifExtension(0xFE, std::string(300, 'c'));
  const std::string image = GifImage(1, 2, 3, 4);
  const std::string gif = absl::StrCat(header, loop, comment, image, ";", "x");
  std::string trailing;
  absl::StatusOr<std::vector<GifBlock>> blocks = Walk(gif, &trailing);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 5u);
  EXPECT_EQ((*blocks)[0].kind, GifBlock::Kind::kHeader);
  EXPECT_EQ((*blocks)[0].bytes, header);
  EXPECT_EQ((*blocks)[0].width, 10u);
  EXPECT_EQ((*blocks)[0].height, 20u);
  EXPECT_EQ((*blocks)[1].kind, GifBlock::Kind::kExtension);
  EXPECT_EQ((*blocks)[1].label, gif_label::kApplication);
  EXPECT_EQ((*blocks)[1].first_sub_block, "NETSCAPE2.0");
  EXPECT_EQ((*blocks)[1].bytes, loop);
  EXPECT_EQ((*blocks)[2].label, gif_label::kComment);
  EXPECT_EQ((*blocks)[2].bytes, comment);
  EXPECT_EQ((*blocks)[2].first_sub_block, std::string(255, 'c'));
  EXPECT_EQ((*blocks)[3].kind, GifBlock::Kind::kImage);
  EXPECT_EQ((*blocks)[3].bytes, image);
  EXPECT_EQ((*blocks)[3].left, 1u);
  EXPECT_EQ((*blocks)[3].top, 2u);
  EXPECT_EQ((*blocks)[3].width, 3u);
  EXPECT_EQ((*blocks)[3].height, 4u);
  EXPECT_EQ((*blocks)[4].kind, GifBlock::Kind::kTrailer);
  EXPECT_EQ((*blocks)[4].bytes, ";");
  EXPECT_EQ(trailing, "x");
}

TEST(GifBlockReaderTest, SkipsLocalColourTables) {
  // Local colour table of 4 entries (12 bytes), then LZW size and data.
  const std::string image = absl::StrCat("\x2C", std::string(8, '\x01'), "\x81",
                                         std::string(12, '\xAA'),
                                         "\x02\x01\x2C", std::string(1, '\0'));
  const std::string gif = absl::StrCat(GifHeader(1, 1), image, ";");
  absl::StatusOr<std::vector<GifBlock>> blocks = Walk(gif);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  EXPECT_EQ((*blocks)[1].bytes, image);
}

TEST(GifBlockReaderTest, AcceptsAMissingTrailer) {
  const std::string gif = absl::StrCat(GifHeader(1, 1), GifImage(0, 0, 1, 1));
  std::string trailing;
  absl::StatusOr<std::vector<GifBlock>> blocks = Walk(gif, &trailing);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  EXPECT_EQ(blocks->size(), 2u);
  EXPECT_EQ(trailing, "");
}

TEST(GifBlockReaderTest, ReportsWhatIsWrongWithBrokenFiles) {
  struct Case {
    std::string bytes;
    std::string message;
  };
  const std::string header = GifHeader(1, 1);
  const std::string image = GifImage(0, 0, 1, 1);
  const std::vector<Case> cases = {
      {"GIF88a", "does not start with the signature GIF87a or GIF89a"},
      {"GIF89a\x01", "truncated: it ends inside its header"},
      {header.substr(0, header.size() - 1), "it ends inside its header"},
      {absl::StrCat(header, image.substr(0, image.size() - 1)),
       "truncated: it ends inside the image at byte 19"},
      {absl::StrCat(header, "\x21\xFE\x05"),
       "it ends inside the extension at byte 19"},
      {absl::StrCat(header, "\x21"), "it ends inside the extension"},
      {absl::StrCat(header, "!"), "it ends inside the extension"},
      {absl::StrCat(header, image, "x"),
       "damaged: byte 34 is 0x78 where an image, an extension or the "
       "trailer should begin"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<GifBlock>> blocks = Walk(c.bytes);
    ASSERT_FALSE(blocks.ok()) << c.message;
    EXPECT_EQ(blocks.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(blocks.status().message(), HasSubstr(c.message));
  }
}

TEST(GifBlockReaderTest, ErrorsAreSticky) {
  GifBlockReader reader("GIF00a");
  const absl::Status error = reader.Next().status();
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(reader.Next().status(), error);
}

}  // namespace
}  // namespace userimage
