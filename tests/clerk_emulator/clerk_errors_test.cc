#include "tools/clerk_emulator/clerk_errors.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::Struct;
using ::testing::ElementsAre;
using ::testing::Pair;

Struct Parse(const std::string& json) {
  Struct object;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &object).ok())
      << json;
  return object;
}

TEST(RenderClerkErrorsTest, RendersClerkErrorsBody) {
  const Struct body =
      Parse(RenderClerkErrors(FormParamMissing("file"), "0123abcd"));
  ASSERT_EQ(body.fields().size(), 2);
  EXPECT_EQ(body.fields().at("clerk_trace_id").string_value(), "0123abcd");
  const auto& errors = body.fields().at("errors").list_value();
  ASSERT_EQ(errors.values_size(), 1);
  const auto& error = errors.values(0).struct_value().fields();
  EXPECT_EQ(error.size(), 4);
  EXPECT_EQ(error.at("code").string_value(), "form_param_missing");
  EXPECT_EQ(error.at("message").string_value(), "Image file missing");
  EXPECT_EQ(error.at("long_message").string_value(),
            "There was no image file present in the request");
  const auto& meta = error.at("meta").struct_value().fields();
  ASSERT_EQ(meta.size(), 1);
  EXPECT_EQ(meta.at("param_name").string_value(), "file");
}

TEST(RenderClerkErrorsTest, MetaIsAlwaysPresent) {
  const Struct body = Parse(RenderClerkErrors(ResourceNotFound(), "t"));
  const auto& error =
      body.fields().at("errors").list_value().values(0).struct_value().fields();
  EXPECT_TRUE(error.at("meta").struct_value().fields().empty());
}

TEST(RenderClerkErrorsTest, EscapesText) {
  const Struct body =
      Parse(RenderClerkErrors(ApiVersionInvalid("\"x\"\n<y>"), "t"));
  EXPECT_EQ(body.fields()
                .at("errors")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("long_message")
                .string_value(),
            "Invalid Clerk API version: \"x\"\n<y>");
}

TEST(ClerkErrorCatalogTest, StatusesAndCodes) {
  const auto status_and_code = [](const ClerkError& error) {
    return std::make_pair(error.http_status, error.code);
  };
  EXPECT_THAT(
      (std::vector<std::pair<int, std::string>>{
          status_and_code(TooManyRequests()),
          status_and_code(InternalClerkError()),
          status_and_code(ServiceUnavailable()),
          status_and_code(GatewayTimeout()),
          status_and_code(AuthorizationHeaderFormatInvalid()),
          status_and_code(ClerkKeyInvalid()),
          status_and_code(ApiVersionInvalid("r")),
          status_and_code(ResourceNotFound()),
          status_and_code(FormParamMissing("file")),
          status_and_code(ImageTooLarge()),
          status_and_code(ImageDecodeError()),
      }),
      ElementsAre(
          Pair(429, "too_many_requests"), Pair(500, "internal_clerk_error"),
          Pair(503, "service_unavailable"), Pair(504, "gateway_timeout"),
          Pair(401, "authorization_header_format_invalid"),
          Pair(401, "clerk_key_invalid"), Pair(400, "api_version_invalid"),
          Pair(404, "resource_not_found"), Pair(400, "form_param_missing"),
          Pair(413, "image_too_large"), Pair(400, "request_body_invalid")));
  EXPECT_EQ(TooManyRequests().long_message,
            "Too many requests, please retry later.");
  EXPECT_EQ(ImageDecodeError().message, "Image decode error");
}

}  // namespace
}  // namespace clerk::emulator
