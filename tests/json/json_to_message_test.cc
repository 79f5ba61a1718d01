// JsonToMessage gives protobuf's JsonStringToMessage result (unknown fields
// ignored) for every input; its fast path takes Clerk's answers and stops
// on what it does not cover.

#include "server/json/json_to_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/clerk/userimage/internal/v1/clerk_errors.pb.h"
#include "proto/clerk/userimage/v1/user.pb.h"
#include "tools/clerk_emulator/seed_users.h"

namespace userimage {
namespace {

using clerk::userimage::v1::User;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string DeterministicBytes(const Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

// JsonToMessage and protobuf agree: both fail, or both give equal messages.
template <typename T>
void ExpectSameAsProtobuf(const std::string& json) {
  SCOPED_TRACE(json.size() > 300 ? json.substr(0, 300) + "..." : json);
  T ours;
  const absl::Status status = JsonToMessage(json, &ours);
  T theirs;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const bool protobuf_ok =
      google::protobuf::util::JsonStringToMessage(json, &theirs, options).ok();
  ASSERT_EQ(status.ok(), protobuf_ok) << status;
  if (protobuf_ok) {
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(ours, theirs))
        << "ours:\n"
        << ours.DebugString() << "protobuf's:\n"
        << theirs.DebugString();
    // Bytes too: MessageDifferencer takes -0.0 for 0.0.
    EXPECT_EQ(DeterministicBytes(ours), DeterministicBytes(theirs));
  }
}

template <typename T = User>
bool Fast(const std::string& json) {
  T message;
  return TryFastJsonToMessage(json, &message);
}

std::vector<std::string> SeedUsers() {
  google::protobuf::ListValue users;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                  std::string(clerk::emulator::SeedUsersJson()), &users)
                  .ok());
  std::vector<std::string> out;
  for (const auto& user : users.values()) {
    std::string json;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(user, &json).ok());
    out.push_back(json);
  }
  return out;
}

TEST(JsonToMessageTest, SeedUsersTakeTheFastPathAndMatchProtobuf) {
  const std::vector<std::string> users = SeedUsers();
  ASSERT_EQ(users.size(), 3u);
  for (const std::string& json : users) {
    EXPECT_TRUE(Fast(json));
    ExpectSameAsProtobuf<User>(json);
    User user;
    ASSERT_TRUE(JsonToMessage(json, &user).ok());
    EXPECT_EQ(user.object(), "user");
    EXPECT_FALSE(user.email_addresses().empty());
  }
}

// A JSON value of the field's type, built from the descriptor: every field
// of every message reachable from the root, by its proto name or its JSON
// name.
std::string ValueFor(const FieldDescriptor* field, bool json_names, int depth);

std::string ObjectFor(const Descriptor* type, bool json_names, int depth) {
  if (type == google::protobuf::Struct::descriptor()) {
    return R"({"k":"v","n":-0,"big":18446744073709551615,"f":-1.5e-7,)"
           R"("l":[null,true,{"x":[]}],"o":{}})";
  }
  std::vector<std::string> members;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && depth > 3) {
      continue;
    }
    members.push_back(
        absl::StrCat("\"", json_names ? field->json_name() : field->name(),
                     "\":", ValueFor(field, json_names, depth + 1)));
  }
  return absl::StrCat("{", absl::StrJoin(members, ","), "}");
}

std::string ScalarFor(const FieldDescriptor* field, int depth) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return absl::StrCat("\"", field->name(), " \\u00e9\\ud83d\\ude00 ", depth,
                          "\"");
    case FieldDescriptor::CPPTYPE_BOOL:
      return depth % 2 ? "true" : "false";
    case FieldDescriptor::CPPTYPE_INT64:
      return "-9223372036854775808";
    case FieldDescriptor::CPPTYPE_INT32:
      return "2147483647";
    default:
      return "0";
  }
}

std::string ValueFor(const FieldDescriptor* field, bool json_names, int depth) {
  std::string one = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                        ? ObjectFor(field->message_type(), json_names, depth)
                        : ScalarFor(field, depth);
  return field->is_repeated() ? absl::StrCat("[", one, ",", one, "]") : one;
}

TEST(JsonToMessageTest, EveryFieldByNameAndByJsonNameMatchesProtobuf) {
  for (const Descriptor* type :
       {User::descriptor(),
        clerk::userimage::internal::v1::ClerkErrors::descriptor()}) {
    for (bool json_names : {false, true}) {
      const std::string json = ObjectFor(type, json_names, 0);
      EXPECT_TRUE(Fast(json)) << json;
      ExpectSameAsProtobuf<User>(json);
      ExpectSameAsProtobuf<clerk::userimage::internal::v1::ClerkErrors>(json);
    }
  }
}

struct Case {
  std::string json;
  bool fast;
};

TEST(JsonToMessageTest, FastPathCoversWhatClerkSends) {
  const std::vector<Case> cases = {
      {R"({"id":"user_1","object":"user"})", true},
      {R"({"firstName":"Ada","hasImage":true})", true},
      {R"({"external_id":null,"username":null,"last_sign_in_at":null,)"
       R"("scim":null,"lockout_expires_in_seconds":null})",
       true},
      {R"({"unknown":{"deep":[1,{"x":[null,"y"]}],"n":1e999999}})", false},
      {R"({"unknown":{"deep":[1,{"x":[null,"y"]}],"n":1.5e300},"id":"u"})",
       true},
      {R"({"email_addresses":[{"id":"idn","linked_to":[{"id":"a"}],)"
       R"("verification":{"status":"verified","strategy":"email_code"}}]})",
       true},
      {R"({"public_metadata":{"a":{"b":[1,"2",false,null]}}})", true},
      {R"({"public_metadata":{"n":0.1,"m":123456789012345678901234567890}})",
       true},
      {R"({"id":"a\u0000b"})", true},
      {R"({"id":"\ud83d\ude00"})", true},
      {" \t\r\n{\"id\" : \"spaced\" } \n", true},
      {R"({"public_metadata":{"a":{"b":{"c":{"d":{"e":{"f":[[[[1]]]]}}}}}}})",
       true},
      {R"({"u":{"x":1.7e308,"y":-0,"z":-0.0}})", true},
      {R"({"public_metadata":{"y":-0,"z":-0.0,"w":0e5}})", true},
      {"{}", true},
      {R"({"id":"a","ID":"b"})", true},  // "ID" names no field
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Fast(c.json), c.fast) << c.json;
    ExpectSameAsProtobuf<User>(c.json);
  }
}

TEST(JsonToMessageTest, LeavesEverythingElseToProtobuf) {
  std::string deep_unknown = R"({"u":)";
  for (int i = 0; i < 70; ++i) deep_unknown += "[";
  for (int i = 0; i < 70; ++i) deep_unknown += "]";
  deep_unknown += "}";
  // Each object in a Struct is three nested messages in protobuf's binary
  // round trip (entry, Value, Struct), each list two; its parser stops at
  // 100.
  std::string deep_struct = R"({"public_metadata":)";
  for (int i = 0; i < 40; ++i) deep_struct += R"({"a":)";
  deep_struct += "1";
  for (int i = 0; i < 41; ++i) deep_struct += "}";
  std::string deep_list = R"({"public_metadata":{"a":)";
  for (int i = 0; i < 50; ++i) deep_list += "[";
  for (int i = 0; i < 50; ++i) deep_list += "]";
  deep_list += "}}";
  std::string too_deep = R"({"u":)";
  for (int i = 0; i < 200; ++i) too_deep += "[";
  for (int i = 0; i < 200; ++i) too_deep += "]";
  too_deep += "}";
  const std::vector<std::string> cases = {
      R"({"created_at":"123"})",  // an int64 as a string
      R"({"created_at":1e3})",    // an int64 as a double
      R"({"created_at":1.0})",
      R"({"created_at":9223372036854775808})",  // out of range
      R"({"create_organizations_limit":2147483648})",
      R"({"id":"a","id":"b"})",  // a key given twice
      R"({"first_name":"a","firstName":"b"})",
      R"({"public_metadata":{"k":1,"k":2}})",
      R"({"public_metadata":null})",
      R"({"email_addresses":null})",
      R"({"email_addresses":[null]})",
      R"({"email_addresses":{"id":"x"}})",
      R"({"email_addresses":"x"})",
      R"({"id":1})",
      R"({"id":true})",
      R"({"has_image":"true"})",
      R"({"has_image":1})",
      R"({"scim":[]})",
      R"({"scim":"x"})",
      R"({"id":"\udc00"})",  // a lone surrogate
      R"({"id":"\ud800"})",
      R"({"\udc00":1})",
      std::string("{\"id\":\"a\"}\0xyz", 14),  // a NUL byte
      "{\"id\":\"\xff\"}",                     // not UTF-8
      "{\"id\":\"\xed\xa0\x80\"}",             // an encoded surrogate
      "{\"id\":\"\xc0\xaf\"}",                 // an overlong encoding
      "{\"\xed\xb0\x80\":1}",
      "{\"u\":[\"\xf4\x90\x80\x80\"]}",  // beyond U+10FFFF, skipped
      "{\"id\":\"a\x01\"}",              // a raw control character
      R"({'id':'single'})",
      R"({id:"bare"})",
      R"({"id":"a",})",
      R"({"id":"a"} {})",
      R"({"id":"a"} x)",
      R"(["id"])",
      R"("user")",
      "null",
      "",
      "{",
      deep_unknown,
      too_deep,
      deep_struct,
      deep_list,
      R"({"":1})",  // protobuf refuses a key without a name
      R"({"":null})",
      R"({"scim":{"":true}})",
      R"({"email_addresses":[{"":{}}]})",
      R"({"x":2e308})",  // beyond a double, even where skipped
      R"({"x":1.8e308})",
      R"({"future":{"n":[9e308]}})",
  };
  for (const std::string& json : cases) {
    EXPECT_FALSE(Fast(json)) << json;
    ExpectSameAsProtobuf<User>(json);
  }
}

TEST(JsonToMessageTest, ErrorsAreProtobufsAsInvalidArgument) {
  User user;
  const absl::Status status = JsonToMessage(R"({"id":1})", &user);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(status.message().empty());
}

// Mutations of a real answer: each byte changed, inserted or deleted at
// random (fixed seed). Whatever the fast path does, the result is
// protobuf's.
TEST(JsonToMessageTest, MutatedAnswersMatchProtobuf) {
  const std::string user = SeedUsers()[0];
  std::mt19937 random(16);
  const std::string alphabet = "{}[]\",:0123456789.eE-+ntfaulsr\\u\x80\xff ";
  int fast = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string json = user;
    for (int edits = 1 + random() % 3; edits > 0; --edits) {
      const size_t at = random() % json.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          json[at] = c;
          break;
        case 1:
          json.insert(at, 1, c);
          break;
        default:
          json.erase(at, 1);
      }
    }
    fast += Fast(json);
    ExpectSameAsProtobuf<User>(json);
    if (HasFatalFailure()) return;
  }
  // Most edits land in a string value and keep the fast path.
  EXPECT_GT(fast, 200);
}

}  // namespace
}  // namespace userimage
