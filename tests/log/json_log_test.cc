#include "server/log/json_log.h"

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(JsonLogTest, WritesOneParseableObjectPerLine) {
  std::string line =
      FormatLogLine(LogLevel::kWarning, "upload_finished",
                    {{"user_id", LogString("user_1")},
                     {"bytes", LogNumber(70)},
                     {"note", LogString("quote \" and\nnewline")}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok());
  const auto& f = parsed.fields();
  EXPECT_EQ(f.at("level").string_value(), "warning");
  EXPECT_EQ(f.at("event").string_value(), "upload_finished");
  EXPECT_EQ(f.at("user_id").string_value(), "user_1");
  EXPECT_EQ(f.at("bytes").number_value(), 70);
  EXPECT_EQ(f.at("note").string_value(), "quote \" and\nnewline");
  EXPECT_FALSE(f.at("ts").string_value().empty());
}

TEST(JsonLogTest, ParsesLevels) {
  LogLevel level;
  ASSERT_TRUE(ParseLogLevel("debug", &level));
  EXPECT_EQ(level, LogLevel::kDebug);
  ASSERT_TRUE(ParseLogLevel("error", &level));
  EXPECT_EQ(level, LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("loud", &level));
}

}  // namespace
}  // namespace userimage
