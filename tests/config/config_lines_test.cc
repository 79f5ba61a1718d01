#include "server/config/config_lines.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

using ::testing::ElementsAre;
using ::testing::FieldsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ReadConfigLines, SkipsCommentsAndBlankLinesAndKeepsLineNumbers) {
  EXPECT_THAT(ReadConfigLines("# header\n"
                              "\n"
                              "  alice   one two \t\n"
                              "bob\tx # trailing comment\n"
                              "carol\n"
                              "   # indented comment\n"),
              ElementsAre(FieldsAre(3, "alice", "one two"),
                          FieldsAre(4, "bob", "x"), FieldsAre(5, "carol", "")));
}

TEST(ReadConfigLines, EmptyContentsHaveNoLines) {
  EXPECT_THAT(ReadConfigLines(""), IsEmpty());
  EXPECT_THAT(ReadConfigLines("\n\n# only a comment"), IsEmpty());
}

TEST(ReadConfigLines, CarriageReturnsAreWhitespace) {
  EXPECT_THAT(
      ReadConfigLines("alice 1\r\nbob 2\r\n"),
      ElementsAre(FieldsAre(1, "alice", "1"), FieldsAre(2, "bob", "2")));
}

TEST(ReadTwoFieldLines, AcceptsTwoFieldsPerLine) {
  auto lines = ReadTwoFieldLines("a 1\n\tb\t2\n", "the file", "\"<k> <v>\"");
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(*lines,
              ElementsAre(FieldsAre(1, "a", "1"), FieldsAre(2, "b", "2")));
}

TEST(ReadTwoFieldLines, OneFieldIsRefusedNamingTheLine) {
  auto lines = ReadTwoFieldLines("a 1\n\nlonely\n", "the file", "\"<k> <v>\"");
  EXPECT_EQ(lines.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(lines.status().message(),
            "the file line 3: expected \"<k> <v>\", two fields separated by "
            "spaces");
}

TEST(ReadTwoFieldLines, ThreeFieldsAreRefusedNamingTheLine) {
  auto lines = ReadTwoFieldLines("a 1 2\n", "the tokens file", "\"<k> <v>\"");
  EXPECT_EQ(lines.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(lines.status().message(), HasSubstr("the tokens file line 1:"));
}

}  // namespace
}  // namespace userimage
