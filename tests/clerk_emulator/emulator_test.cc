#include "tools/clerk_emulator/emulator.h"

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/clerk_emulator/fake_clock.h"
#include "tools/clerk_emulator/seed_users.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

constexpr char kSecretKey[] = "sk_test_emulator_key";
constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
constexpr char kOtherUser[] = "user_2Q4bB3vJc5tKx8ZsLmPqRtW9yUe";
constexpr int kMaxImageBytes = 1000;

const std::string& Png() {
  static const std::string* const png =
      new std::string(std::string("\x89PNG\r\n\x1A\n", 8) + "pretend pixels");
  return *png;
}
constexpr char kPngSha256[] =
    "44cb979d5808496ae86eaa54f97c33b0e7925b9a7ba9110ecdf23908bd9c764c";

template <typename Message>
Message Parse(const std::string& json) {
  Message message;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message).ok())
      << json;
  return message;
}

std::string ProfileImagePath(absl::string_view user_id) {
  return absl::StrCat("/v1/users/", user_id, "/profile_image");
}

// Expects a Clerk error response and returns its single error.
Struct ExpectClerkError(const httplib::Result& res, int status,
                        const std::string& code) {
  EXPECT_TRUE(res);
  if (!res) return Struct();
  EXPECT_EQ(res->status, status) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const Struct body = Parse<Struct>(res->body);
  EXPECT_THAT(body.fields().at("clerk_trace_id").string_value(),
              MatchesRegex("[0-9a-f]{32}"));
  const auto& errors = body.fields().at("errors").list_value();
  EXPECT_EQ(errors.values_size(), 1);
  if (errors.values_size() != 1) return Struct();
  const Struct error = errors.values(0).struct_value();
  EXPECT_EQ(error.fields().at("code").string_value(), code);
  return error;
}

class EmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { StartEmulator(EmulatorOptions()); }

  // Restarts the emulator with `options`, filling in the key, port and
  // image limit.
  void StartEmulator(EmulatorOptions options) {
    client_.reset();
    emulator_.reset();
    options.secret_key = kSecretKey;
    options.port = 0;
    options.max_image_bytes = kMaxImageBytes;
    options.threads = 4;
    absl::StatusOr<std::unique_ptr<Emulator>> emulator =
        Emulator::Create(std::move(options), SeedUsersJson(), &clock_);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    ASSERT_TRUE(emulator_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", emulator_->port());
  }

  static httplib::Headers Auth(const std::string& key = kSecretKey) {
    return {{"Authorization", absl::StrCat("Bearer ", key)},
            {"Clerk-API-Version", "2026-05-12"}};
  }

  httplib::Result Upload(const std::string& user_id, const std::string& content,
                         const std::string& filename = "avatar.png") {
    return client_->Post(ProfileImagePath(user_id), Auth(),
                         {{"file", content, filename, "image/png"}});
  }

  httplib::Result GetUser(const std::string& user_id) {
    return client_->Get(absl::StrCat("/v1/users/", user_id), Auth());
  }

  httplib::Result Control(const std::string& path_and_query) {
    return client_->Post(path_and_query);
  }

  ListValue Requests() {
    const httplib::Result res = client_->Get("/_emulator/requests");
    EXPECT_TRUE(res);
    return res ? Parse<ListValue>(res->body) : ListValue();
  }

  FakeClock clock_;
  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(EmulatorTest, MissingAuthorizationIsFormatInvalid) {
  const Struct error =
      ExpectClerkError(client_->Get(absl::StrCat("/v1/users/", kUser)), 401,
                       "authorization_header_format_invalid");
  EXPECT_EQ(error.fields().at("long_message").string_value(),
            "Invalid Authorization header format. Must be 'Bearer "
            "<YOUR_API_KEY>'");
  EXPECT_TRUE(error.fields().at("meta").struct_value().fields().empty());

  ExpectClerkError(client_->Get(absl::StrCat("/v1/users/", kUser),
                                {{"Authorization", kSecretKey}}),
                   401, "authorization_header_format_invalid");
  ExpectClerkError(client_->Get(absl::StrCat("/v1/users/", kUser),
                                {{"Authorization", "Bearer "}}),
                   401, "authorization_header_format_invalid");
}

TEST_F(EmulatorTest, WrongKeyIsKeyInvalid) {
  const Struct error = ExpectClerkError(
      client_->Post(ProfileImagePath(kUser), Auth("sk_test_wrong"),
                    {{"file", Png(), "avatar.png", "image/png"}}),
      401, "clerk_key_invalid");
  EXPECT_EQ(error.fields().at("long_message").string_value(),
            "The provided Clerk Secret Key is invalid. Make sure that your "
            "Clerk Secret Key is correct.");
}

TEST_F(EmulatorTest, UnsupportedApiVersionIsRejected) {
  ExpectClerkError(
      client_->Get(absl::StrCat("/v1/users/", kUser),
                   {{"Authorization", "Bearer sk_test_emulator_key"},
                    {"Clerk-API-Version", "2020-01-01"}}),
      400, "api_version_invalid");
  for (const char* version :
       {"2021-02-05", "2024-10-01", "2025-04-10", "2025-11-10", "2026-05-12"}) {
    const httplib::Result res =
        client_->Get(absl::StrCat("/v1/users/", kUser),
                     {{"Authorization", "Bearer sk_test_emulator_key"},
                      {"Clerk-API-Version", version}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << version;
  }
  // The version header is optional.
  const httplib::Result res =
      client_->Get(absl::StrCat("/v1/users/", kUser),
                   {{"Authorization", "Bearer sk_test_emulator_key"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(EmulatorTest, UnknownUserAndPathAreNotFound) {
  const Struct error = ExpectClerkError(Upload("user_unknown", Png()), 404,
                                        "resource_not_found");
  EXPECT_EQ(error.fields().at("message").string_value(), "Resource not found");
  ExpectClerkError(GetUser("user_unknown"), 404, "resource_not_found");
  ExpectClerkError(client_->Get("/v1/users", Auth()), 404,
                   "resource_not_found");
  ExpectClerkError(
      client_->Post("/v1/organizations", Auth(), "{}", "application/json"), 404,
      "resource_not_found");
}

TEST_F(EmulatorTest, UploadWithoutFileIsFormParamMissing) {
  const Struct error = ExpectClerkError(
      client_->Post(ProfileImagePath(kUser), Auth(),
                    {{"image", Png(), "avatar.png", "image/png"}}),
      400, "form_param_missing");
  EXPECT_EQ(error.fields().at("message").string_value(), "Image file missing");
  EXPECT_EQ(error.fields()
                .at("meta")
                .struct_value()
                .fields()
                .at("param_name")
                .string_value(),
            "file");

  ExpectClerkError(
      client_->Post(ProfileImagePath(kUser), Auth(), Png(), "image/png"), 400,
      "form_param_missing");
  // A `file` field that is not a file (no filename).
  ExpectClerkError(
      client_->Post(ProfileImagePath(kUser), Auth(), {{"file", Png(), "", ""}}),
      400, "form_param_missing");
  ExpectClerkError(client_->Post(ProfileImagePath(kUser), Auth(), "garbage",
                                 "multipart/form-data; boundary=xyz"),
                   400, "form_param_missing");
  // The emulator still answers on a fresh connection.
  const httplib::Result res = GetUser(kUser);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(EmulatorTest, TextIsRequestBodyInvalid) {
  const Struct error =
      ExpectClerkError(Upload(kUser, "this is not an image", "notes.png"), 400,
                       "request_body_invalid");
  EXPECT_EQ(error.fields().at("message").string_value(), "Image decode error");
}

TEST_F(EmulatorTest, ImageOverTheLimitIsTooLarge) {
  const std::string at_limit =
      Png() + std::string(kMaxImageBytes - Png().size(), 'x');
  const httplib::Result ok = Upload(kUser, at_limit);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);

  const Struct error =
      ExpectClerkError(Upload(kUser, at_limit + "x"), 413, "image_too_large");
  EXPECT_EQ(error.fields().at("long_message").string_value(),
            "The image being uploaded is more than 10MB. Please choose a "
            "smaller one.");
}

TEST_F(EmulatorTest, UploadReturnsUserAndServesTheImage) {
  clock_.Advance(absl::Milliseconds(42));
  const httplib::Result res = Upload(kOtherUser, Png());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const Struct user = Parse<Struct>(res->body);
  const auto& fields = user.fields();
  EXPECT_EQ(fields.at("id").string_value(), kOtherUser);
  EXPECT_EQ(fields.at("object").string_value(), "user");
  EXPECT_TRUE(fields.at("has_image").bool_value());
  EXPECT_EQ(fields.at("updated_at").number_value(),
            FakeClock::kStartMillis + 42);
  const std::string image_url = fields.at("image_url").string_value();
  EXPECT_THAT(image_url, MatchesRegex(absl::StrCat(
                             "http://127\\.0\\.0\\.1:", emulator_->port(),
                             "/images/img_[0-9A-Za-z]{27}")));
  EXPECT_EQ(fields.at("profile_image_url").string_value(), image_url);
  EXPECT_THAT(res->body, HasSubstr(absl::StrCat("\"updated_at\":",
                                                FakeClock::kStartMillis + 42)));

  const httplib::Result image =
      client_->Get(image_url.substr(emulator_->public_url().size()));
  ASSERT_TRUE(image);
  EXPECT_EQ(image->status, 200);
  EXPECT_EQ(image->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(image->body, Png());

  const httplib::Result again = GetUser(kOtherUser);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, res->body);

  const httplib::Result missing = client_->Get("/images/img_unknown");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(EmulatorTest, DeleteRestoresTheDefaultAvatar) {
  ASSERT_EQ(Upload(kUser, Png())->status, 200);
  const httplib::Result res = client_->Delete(ProfileImagePath(kUser), Auth());
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const Struct user = Parse<Struct>(res->body);
  EXPECT_FALSE(user.fields().at("has_image").bool_value());
  EXPECT_EQ(user.fields().at("image_url").string_value(),
            absl::StrCat(emulator_->public_url(), "/images/default-avatar"));

  const httplib::Result avatar = client_->Get("/images/default-avatar");
  ASSERT_TRUE(avatar);
  EXPECT_EQ(avatar->status, 200);
  EXPECT_EQ(avatar->get_header_value("Content-Type"), "image/png");
  EXPECT_THAT(avatar->body, StartsWith("\x89PNG"));

  ExpectClerkError(client_->Delete(ProfileImagePath("user_unknown"), Auth()),
                   404, "resource_not_found");
}

TEST_F(EmulatorTest, QueuedFaultsAreServedInOrder) {
  ASSERT_EQ(Control("/_emulator/faults?kind=429&retry_after=7")->status, 200);
  ASSERT_EQ(Control("/_emulator/faults?kind=503&count=2")->status, 200);
  ASSERT_EQ(Control("/_emulator/faults?kind=502")->status, 200);

  const httplib::Result throttled = Upload(kUser, Png());
  const Struct error = ExpectClerkError(throttled, 429, "too_many_requests");
  EXPECT_EQ(throttled->get_header_value("Retry-After"), "7");
  EXPECT_EQ(error.fields().at("message").string_value(), "Too many requests");

  for (int i = 0; i < 2; ++i) {
    const httplib::Result unavailable = GetUser(kUser);
    ExpectClerkError(unavailable, 503, "service_unavailable");
    EXPECT_FALSE(unavailable->has_header("Retry-After"));
  }
  const httplib::Result bad_gateway = GetUser(kUser);
  ASSERT_TRUE(bad_gateway);
  EXPECT_EQ(bad_gateway->status, 502);
  EXPECT_EQ(bad_gateway->get_header_value("Content-Type"), "text/html");

  const httplib::Result ok = Upload(kUser, Png());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(EmulatorTest, FaultsComeBeforeAuthentication) {
  ASSERT_EQ(Control("/_emulator/faults?kind=500")->status, 200);
  ExpectClerkError(client_->Get(absl::StrCat("/v1/users/", kUser)), 500,
                   "internal_clerk_error");
}

TEST_F(EmulatorTest, ResetFaultClosesTheConnection) {
  ASSERT_EQ(Control("/_emulator/faults?kind=reset")->status, 200);
  const httplib::Result reset = Upload(kUser, Png());
  EXPECT_FALSE(reset);
  EXPECT_NE(reset.error(), httplib::Error::Success);

  const httplib::Result ok = Upload(kUser, Png());
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(
      Requests().values(0).struct_value().fields().at("status").number_value(),
      0);
}

TEST_F(EmulatorTest, BadControlRequestsAreRejected) {
  EXPECT_EQ(Control("/_emulator/faults?kind=418")->status, 400);
  EXPECT_EQ(Control("/_emulator/faults")->status, 400);
  EXPECT_EQ(Control("/_emulator/faults?kind=500&count=-1")->status, 400);
  EXPECT_EQ(Control("/_emulator/faults?kind=500&count=many")->status, 400);
  EXPECT_EQ(
      Control("/_emulator/faults?kind=429&retry_after=1%0D%0AX:%201")->status,
      400);
  EXPECT_EQ(Control("/_emulator/config?rate_window_ms=0")->status, 400);
  EXPECT_EQ(Control("/_emulator/config?latency_ms=-5")->status, 400);
  const httplib::Result ok = GetUser(kUser);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(EmulatorTest, RateLimitRefusesRequestsUntilTheWindowEnds) {
  EmulatorOptions options;
  options.rate_limit = 2;
  options.rate_window = absl::Seconds(10);
  StartEmulator(std::move(options));

  EXPECT_EQ(GetUser(kUser)->status, 200);
  EXPECT_EQ(Upload(kUser, Png())->status, 200);
  const httplib::Result refused = GetUser(kUser);
  const Struct error = ExpectClerkError(refused, 429, "too_many_requests");
  EXPECT_EQ(refused->get_header_value("Retry-After"), "10");
  EXPECT_EQ(error.fields().at("long_message").string_value(),
            "Too many requests, please retry later.");

  clock_.Advance(absl::Milliseconds(3500));
  const httplib::Result still_refused = Upload(kUser, Png());
  ExpectClerkError(still_refused, 429, "too_many_requests");
  EXPECT_EQ(still_refused->get_header_value("Retry-After"), "7");

  clock_.Advance(absl::Milliseconds(6500));
  EXPECT_EQ(GetUser(kUser)->status, 200);
}

TEST_F(EmulatorTest, ConfigChangesTheRateLimitAtRunTime) {
  const httplib::Result config =
      Control("/_emulator/config?rate_limit=1&rate_window_ms=2500");
  ASSERT_TRUE(config);
  ASSERT_EQ(config->status, 200);
  const Struct answer = Parse<Struct>(config->body);
  EXPECT_EQ(answer.fields().at("rate_limit").number_value(), 1);
  EXPECT_EQ(answer.fields().at("rate_window_ms").number_value(), 2500);
  EXPECT_EQ(answer.fields().at("latency_ms").number_value(), 0);

  EXPECT_EQ(GetUser(kUser)->status, 200);
  const httplib::Result refused = GetUser(kUser);
  ExpectClerkError(refused, 429, "too_many_requests");
  EXPECT_EQ(refused->get_header_value("Retry-After"), "3");
  // The control API and the image CDN are not limited.
  EXPECT_EQ(client_->Get("/images/default-avatar")->status, 200);

  ASSERT_EQ(Control("/_emulator/config?rate_limit=0")->status, 200);
  EXPECT_EQ(GetUser(kUser)->status, 200);
}

TEST_F(EmulatorTest, RequestLogDescribesEachBapiRequest) {
  ASSERT_EQ(Upload(kUser, Png())->status, 200);
  ExpectClerkError(client_->Get(absl::StrCat("/v1/users/", kUser),
                                {{"Authorization", "Bearer sk_test_wrong"}}),
                   401, "clerk_key_invalid");
  client_->Get("/images/default-avatar");  // not a Backend API request

  const ListValue requests = Requests();
  ASSERT_EQ(requests.values_size(), 2);

  const auto& upload = requests.values(0).struct_value().fields();
  EXPECT_EQ(upload.at("method").string_value(), "POST");
  EXPECT_EQ(upload.at("path").string_value(), ProfileImagePath(kUser));
  EXPECT_TRUE(upload.at("authorization_ok").bool_value());
  EXPECT_EQ(upload.at("status").number_value(), 200);
  EXPECT_FALSE(upload.at("chunked").bool_value());
  EXPECT_EQ(upload.at("fault").kind_case(), Value::kNullValue);
  const std::string content_length = upload.at("content_length").string_value();
  EXPECT_EQ(absl::StrCat(upload.at("body_size").number_value()),
            content_length);
  const auto& headers = upload.at("headers").struct_value().fields();
  EXPECT_EQ(headers.at("authorization").string_value(), "Bearer <redacted>");
  EXPECT_EQ(headers.at("clerk-api-version").string_value(), "2026-05-12");
  EXPECT_EQ(headers.at("content-length").string_value(), content_length);
  EXPECT_THAT(headers.at("content-type").string_value(),
              StartsWith("multipart/form-data; boundary="));
  for (const auto& [name, value] : headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
    EXPECT_FALSE(absl::StrContains(value.string_value(), kSecretKey)) << name;
  }
  EXPECT_EQ(headers.count("remote_addr"), 0);
  const auto& file = upload.at("file").struct_value().fields();
  EXPECT_EQ(file.at("filename").string_value(), "avatar.png");
  EXPECT_EQ(file.at("content_type").string_value(), "image/png");
  EXPECT_EQ(file.at("size").number_value(), Png().size());
  EXPECT_EQ(file.at("sha256").string_value(), kPngSha256);

  const auto& rejected = requests.values(1).struct_value().fields();
  EXPECT_EQ(rejected.at("method").string_value(), "GET");
  EXPECT_FALSE(rejected.at("authorization_ok").bool_value());
  EXPECT_EQ(rejected.at("status").number_value(), 401);
  EXPECT_EQ(rejected.at("body_size").number_value(), 0);
  EXPECT_EQ(rejected.at("file").kind_case(), Value::kNullValue);
}

TEST_F(EmulatorTest, ConcurrentRequestsAreAllServedAndLogged) {
  constexpr int kThreads = 8;
  constexpr int kRequestsPerThread = 10;
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &ok] {
      httplib::Client client("127.0.0.1", emulator_->port());
      for (int i = 0; i < kRequestsPerThread; ++i) {
        const httplib::Result res =
            client.Post(ProfileImagePath(t % 2 ? kUser : kOtherUser), Auth(),
                        {{"file", Png(), "avatar.png", "image/png"}});
        if (res && res->status == 200) ++ok[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ok[t], kRequestsPerThread);
  EXPECT_EQ(Requests().values_size(), kThreads * kRequestsPerThread);
}

TEST_F(EmulatorTest, ResetRestoresSeedsAndClearsState) {
  const std::string seed = GetUser(kUser)->body;
  ASSERT_EQ(Upload(kUser, Png())->status, 200);
  ASSERT_EQ(Control("/_emulator/faults?kind=500")->status, 200);

  const httplib::Result reset = Control("/_emulator/reset");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 200);
  EXPECT_EQ(Requests().values_size(), 0);
  const httplib::Result user = GetUser(kUser);  // no fault left
  ASSERT_TRUE(user);
  EXPECT_EQ(user->status, 200);
  EXPECT_EQ(user->body, seed);
}

}  // namespace
}  // namespace clerk::emulator
