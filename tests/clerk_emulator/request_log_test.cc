#include "tools/clerk_emulator/request_log.h"

#include <string>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Value;

ListValue Parse(const std::string& json) {
  ListValue list;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &list).ok())
      << json;
  return list;
}

TEST(DescribeFilePartTest, HashesAndSizesTheContent) {
  const FilePartRecord file = DescribeFilePart("a.png", "image/png", "abc");
  EXPECT_EQ(file.filename, "a.png");
  EXPECT_EQ(file.content_type, "image/png");
  EXPECT_EQ(file.size, 3);
  EXPECT_EQ(file.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DescribeFilePartTest, EmptyNamesAreUnset) {
  const FilePartRecord file = DescribeFilePart("", "", "");
  EXPECT_FALSE(file.filename.has_value());
  EXPECT_FALSE(file.content_type.has_value());
  EXPECT_EQ(file.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RequestLogTest, EmptyLogIsEmptyArray) {
  EXPECT_EQ(RequestLog().ToJson(), "[]");
}

TEST(RequestLogTest, RendersRecordsInOrder) {
  RequestLog log;
  RequestRecord upload;
  upload.method = "POST";
  upload.path = "/v1/users/user_1/profile_image";
  upload.query = {{"a", "1"}};
  upload.headers = {{"authorization", "Bearer <redacted>"},
                    {"content-length", "241"}};
  upload.authorization_ok = true;
  upload.body_size = 241;
  upload.content_length = "241";
  upload.status = 200;
  upload.file = DescribeFilePart("avatar.png", "image/png", "abc");
  log.Append(upload);

  RequestRecord reset;
  reset.method = "GET";
  reset.path = "/v1/users/user_1";
  reset.chunked = true;
  reset.fault = "reset";
  log.Append(reset);

  const ListValue list = Parse(log.ToJson());
  ASSERT_EQ(list.values_size(), 2);
  const auto& first = list.values(0).struct_value().fields();
  EXPECT_EQ(first.size(), 11);
  EXPECT_EQ(first.at("method").string_value(), "POST");
  EXPECT_EQ(first.at("path").string_value(), "/v1/users/user_1/profile_image");
  EXPECT_EQ(first.at("query").struct_value().fields().at("a").string_value(),
            "1");
  EXPECT_EQ(first.at("headers")
                .struct_value()
                .fields()
                .at("authorization")
                .string_value(),
            "Bearer <redacted>");
  EXPECT_TRUE(first.at("authorization_ok").bool_value());
  EXPECT_EQ(first.at("body_size").number_value(), 241);
  EXPECT_EQ(first.at("content_length").string_value(), "241");
  EXPECT_FALSE(first.at("chunked").bool_value());
  EXPECT_EQ(first.at("status").number_value(), 200);
  EXPECT_EQ(first.at("fault").kind_case(), Value::kNullValue);
  const auto& file = first.at("file").struct_value().fields();
  EXPECT_EQ(file.at("filename").string_value(), "avatar.png");
  EXPECT_EQ(file.at("content_type").string_value(), "image/png");
  EXPECT_EQ(file.at("size").number_value(), 3);
  EXPECT_EQ(file.at("sha256").string_value(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  const auto& second = list.values(1).struct_value().fields();
  EXPECT_EQ(second.at("method").string_value(), "GET");
  EXPECT_TRUE(second.at("chunked").bool_value());
  EXPECT_EQ(second.at("status").number_value(), 0);
  EXPECT_EQ(second.at("fault").string_value(), "reset");
  EXPECT_EQ(second.at("file").kind_case(), Value::kNullValue);
  EXPECT_EQ(second.at("content_length").kind_case(), Value::kNullValue);
  EXPECT_EQ(second.at("body_size").kind_case(), Value::kNullValue);
}

TEST(RequestLogTest, ClearEmptiesTheLog) {
  RequestLog log;
  log.Append(RequestRecord());
  log.Clear();
  EXPECT_EQ(log.ToJson(), "[]");
}

}  // namespace
}  // namespace clerk::emulator
