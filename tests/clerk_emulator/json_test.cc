#include "tools/clerk_emulator/json.h"

#include <string>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;

template <typename Message>
Message Parse(const std::string& json) {
  Message message;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok())
      << json;
  return message;
}

TEST(PrintJsonTest, SortsKeysAndPrintsCompactly) {
  EXPECT_EQ(PrintJson(Parse<Struct>(
                R"({"b": 1, "a": {"z": [true, null], "y": "x"}, "c": {}})")),
            R"({"a":{"y":"x","z":[true,null]},"b":1,"c":{}})");
}

TEST(PrintJsonTest, EqualValuesPrintTheSame) {
  Struct original;
  for (const char* key : {"q", "w", "e", "r", "t", "y", "u", "i", "o", "p"}) {
    (*original.mutable_fields())[key].set_string_value(key);
  }
  Struct copy;
  copy = original;
  EXPECT_EQ(PrintJson(copy), PrintJson(original));
}

TEST(PrintJsonTest, MillisecondTimestampsPrintAsIntegers) {
  Struct object;
  (*object.mutable_fields())["updated_at"].set_number_value(1'795'780'159'486);
  (*object.mutable_fields())["half"].set_number_value(0.5);
  EXPECT_EQ(PrintJson(object), R"({"half":0.5,"updated_at":1795780159486})");
}

TEST(PrintJsonTest, EscapesStrings) {
  const std::string printed =
      PrintJson(Parse<ListValue>(R"(["quote \" newline \n tab \t"])"));
  EXPECT_EQ(Parse<ListValue>(printed).values(0).string_value(),
            "quote \" newline \n tab \t");
  EXPECT_EQ(PrintJson(ListValue()), "[]");
}

}  // namespace
}  // namespace clerk::emulator
