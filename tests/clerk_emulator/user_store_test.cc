#include "tools/clerk_emulator/user_store.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tools/clerk_emulator/seed_users.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::Struct;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// A JSON number in exponent notation.
constexpr char kExponent[] = "[:,[]-?[0-9.]+[eE]";

constexpr char kFirstUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";

Struct Parse(const std::string& json) {
  Struct object;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &object).ok())
      << json;
  return object;
}

std::unique_ptr<UserStore> SeededStore() {
  absl::StatusOr<std::unique_ptr<UserStore>> store =
      UserStore::Create(SeedUsersJson());
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TEST(UserStoreTest, ServesSeedUsers) {
  const std::unique_ptr<UserStore> store = SeededStore();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Contains(kFirstUser));
  EXPECT_TRUE(store->Contains("user_2Q4bB3vJc5tKx8ZsLmPqRtW9yUe"));
  EXPECT_FALSE(store->Contains("user_unknown"));
  EXPECT_FALSE(store->GetJson("user_unknown").has_value());

  const std::optional<std::string> json = store->GetJson(kFirstUser);
  ASSERT_TRUE(json.has_value());
  const Struct user = Parse(*json);
  EXPECT_EQ(user.fields().at("id").string_value(), kFirstUser);
  EXPECT_EQ(user.fields().at("object").string_value(), "user");
}

TEST(UserStoreTest, GeneratesDistinctUsersForLoadTests) {
  auto store = UserStore::Create(SeedUsersJson(), 3);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(GeneratedUserId(2), "user_load000002");
  for (int i = 0; i < 3; ++i) {
    const std::optional<std::string> json =
        (*store)->GetJson(GeneratedUserId(i));
    ASSERT_TRUE(json.has_value()) << i;
    EXPECT_EQ(Parse(*json).fields().at("id").string_value(),
              GeneratedUserId(i));
  }
  EXPECT_FALSE((*store)->Contains(GeneratedUserId(3)));
  EXPECT_FALSE((*store)->Contains("user_load+00001"));
  EXPECT_TRUE((*store)->Contains(kFirstUser));  // The seeds stay.

  // A change sticks to that user only, until Reset().
  auto changed = (*store)->SetImage(GeneratedUserId(1), "https://img/x", true,
                                    absl::FromUnixMillis(1700000000000));
  ASSERT_TRUE(changed.has_value());
  auto image_of = [&](int i) {
    return Parse(*(*store)->GetJson(GeneratedUserId(i)))
        .fields()
        .at("image_url")
        .string_value();
  };
  EXPECT_EQ(image_of(1), "https://img/x");
  EXPECT_NE(image_of(0), "https://img/x");
  EXPECT_EQ(Parse(*changed).fields().at("id").string_value(),
            GeneratedUserId(1));
  (*store)->Reset();
  EXPECT_NE(image_of(1), "https://img/x");
}

TEST(UserStoreTest, TimestampsPrintAsIntegers) {
  const std::unique_ptr<UserStore> store = SeededStore();
  ASSERT_NE(store, nullptr);
  const std::string json = *store->GetJson(kFirstUser);
  EXPECT_THAT(json, HasSubstr("\"created_at\":1676366801000"));
  EXPECT_THAT(json, Not(ContainsRegex(kExponent)));

  const std::string updated =
      *store->SetImage(kFirstUser, "https://example.test/images/img_1", true,
                       absl::FromUnixMillis(1'795'780'159'486));
  EXPECT_THAT(updated, HasSubstr("\"updated_at\":1795780159486"));
  EXPECT_THAT(updated, Not(ContainsRegex(kExponent)));
}

TEST(UserStoreTest, SetImageUpdatesImageFieldsAndUpdatedAt) {
  const std::unique_ptr<UserStore> store = SeededStore();
  ASSERT_NE(store, nullptr);
  const std::string url = "http://127.0.0.1:1/images/img_abc";
  const absl::Time now = absl::FromUnixMillis(1'800'000'000'123);

  const std::optional<std::string> json =
      store->SetImage("user_2Q4bB3vJc5tKx8ZsLmPqRtW9yUe", url, true, now);
  ASSERT_TRUE(json.has_value());
  const Struct user = Parse(*json);
  EXPECT_EQ(user.fields().at("image_url").string_value(), url);
  EXPECT_EQ(user.fields().at("profile_image_url").string_value(), url);
  EXPECT_TRUE(user.fields().at("has_image").bool_value());
  EXPECT_EQ(user.fields().at("updated_at").number_value(), 1'800'000'000'123);
  // Everything else is untouched.
  EXPECT_EQ(user.fields().at("first_name").string_value(), "Grace");
  EXPECT_EQ(user.fields().at("created_at").number_value(), 1680534669000);

  EXPECT_EQ(store->GetJson("user_2Q4bB3vJc5tKx8ZsLmPqRtW9yUe"), json);
  EXPECT_FALSE(store->SetImage("user_unknown", url, true, now).has_value());
}

TEST(UserStoreTest, SetImageUpdatesMembershipPublicUserData) {
  const std::unique_ptr<UserStore> store = SeededStore();
  ASSERT_NE(store, nullptr);
  const Struct user = Parse(*store->SetImage(
      kFirstUser, "http://e/images/default-avatar", false, absl::Now()));
  EXPECT_FALSE(user.fields().at("has_image").bool_value());
  const auto& data = user.fields()
                         .at("organization_memberships")
                         .list_value()
                         .values(0)
                         .struct_value()
                         .fields()
                         .at("public_user_data")
                         .struct_value()
                         .fields();
  EXPECT_EQ(data.at("image_url").string_value(),
            "http://e/images/default-avatar");
  EXPECT_EQ(data.at("profile_image_url").string_value(),
            "http://e/images/default-avatar");
  EXPECT_FALSE(data.at("has_image").bool_value());
}

TEST(UserStoreTest, ResetRestoresSeeds) {
  const std::unique_ptr<UserStore> store = SeededStore();
  ASSERT_NE(store, nullptr);
  const std::string seed = *store->GetJson(kFirstUser);
  store->SetImage(kFirstUser, "http://e/images/img_1", true, absl::Now());
  EXPECT_NE(*store->GetJson(kFirstUser), seed);
  store->Reset();
  EXPECT_EQ(*store->GetJson(kFirstUser), seed);
}

TEST(UserStoreTest, RejectsInvalidSeeds) {
  for (const char* seed : {
           "",
           "{}",
           "[1]",
           R"([{"object": "user"}])",
           R"([{"id": 7, "object": "user"}])",
           R"([{"id": "user_1", "object": "organization"}])",
           R"([{"id": "user_1", "object": "user"},
               {"id": "user_1", "object": "user"}])",
       }) {
    EXPECT_EQ(UserStore::Create(seed).status().code(),
              absl::StatusCode::kInvalidArgument)
        << seed;
  }
  EXPECT_TRUE(UserStore::Create("[]").ok());
}

}  // namespace
}  // namespace clerk::emulator
