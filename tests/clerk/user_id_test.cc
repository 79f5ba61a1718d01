#include "server/clerk/user_id.h"

#include <string>

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(ValidateUserIdTest, AcceptsClerkIds) {
  EXPECT_TRUE(ValidateUserId("user_2NNEqL2nrIRdJ194ndJqAHwEfxC", "f").ok());
  EXPECT_TRUE(ValidateUserId("user_1", "f").ok());
  EXPECT_TRUE(ValidateUserId("user_" + std::string(59, 'a'), "f").ok());
}

TEST(ValidateUserIdTest, RejectsEverythingElse) {
  for (const std::string& bad :
       {std::string(""), std::string("user_"), std::string("usr_123"),
        std::string("user_../x"), std::string("user_a/b"),
        std::string("user_%2e%2e"), std::string("user_a b"),
        std::string("user_a\nb"), std::string("user_a\0b", 8),
        std::string("user_ä"), std::string("USER_abc"), std::string("user_a_b"),
        std::string("user_" + std::string(60, 'a'))}) {
    absl::Status s = ValidateUserId(bad, "metadata.user_id");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("metadata.user_id"), absl::string_view::npos);
  }
}

}  // namespace
}  // namespace userimage
