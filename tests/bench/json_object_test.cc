#include "tools/bench/json_object.h"

#include <limits>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace clerk::userimage::bench {
namespace {

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct parsed;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok())
      << json;
  return parsed;
}

TEST(JsonObjectTest, WritesEveryKindOfValueAsJsonThatParsesBack) {
  JsonObject inner;
  inner.Number("count", 3);
  JsonObject json;
  json.Number("integer", 42)
      .Number("fraction", 1.0 / 3)
      .Number("infinite", std::numeric_limits<double>::infinity())
      .Ratio("ratio", 0.5)
      .Ratio("no_ratio", std::nullopt)
      .Bool("ok", true)
      .String("text", "say \"hi\"\n\\")
      .Object("inner", inner)
      .Null("nothing");
  const std::string text = json.ToString();
  const auto fields = Parse(text).fields();
  EXPECT_EQ(fields.at("integer").number_value(), 42);
  EXPECT_NE(text.find("\"integer\":42"), std::string::npos) << text;
  EXPECT_EQ(fields.at("fraction").number_value(), 0.333333);  // 6 digits
  EXPECT_TRUE(fields.at("infinite").has_null_value());
  EXPECT_EQ(fields.at("ratio").number_value(), 0.5);
  EXPECT_TRUE(fields.at("no_ratio").has_null_value());
  EXPECT_TRUE(fields.at("ok").bool_value());
  EXPECT_EQ(fields.at("text").string_value(), "say \"hi\"\n\\");
  EXPECT_EQ(
      fields.at("inner").struct_value().fields().at("count").number_value(), 3);
  EXPECT_TRUE(fields.at("nothing").has_null_value());
}

}  // namespace
}  // namespace clerk::userimage::bench
