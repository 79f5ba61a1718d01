// Checks the seed users against Clerk's User schema (BAPI 2026-05-12,
// components.schemas.User and the schemas it references).

#include "tools/clerk_emulator/seed_users.h"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using Keys = std::set<std::string>;

const Keys kUserKeys = {
    "id",
    "object",
    "external_id",
    "primary_email_address_id",
    "primary_phone_number_id",
    "primary_web3_wallet_id",
    "username",
    "first_name",
    "last_name",
    "locale",
    "profile_image_url",
    "image_url",
    "has_image",
    "public_metadata",
    "private_metadata",
    "unsafe_metadata",
    "email_addresses",
    "phone_numbers",
    "web3_wallets",
    "passkeys",
    "password_enabled",
    "two_factor_enabled",
    "totp_enabled",
    "backup_code_enabled",
    "mfa_enabled_at",
    "mfa_disabled_at",
    "password_last_updated_at",
    "external_accounts",
    "saml_accounts",
    "enterprise_accounts",
    "organization_memberships",
    "last_sign_in_at",
    "banned",
    "locked",
    "deprovisioned",
    "lockout_expires_in_seconds",
    "verification_attempts_remaining",
    "updated_at",
    "created_at",
    "delete_self_enabled",
    "create_organization_enabled",
    "create_organizations_limit",
    "last_active_at",
    "legal_accepted_at",
    "bypass_client_trust",
    "scim",
};

const Keys kUserNullableKeys = {
    "external_id",
    "primary_email_address_id",
    "primary_phone_number_id",
    "primary_web3_wallet_id",
    "username",
    "first_name",
    "last_name",
    "locale",
    "private_metadata",
    "mfa_enabled_at",
    "mfa_disabled_at",
    "password_last_updated_at",
    "last_sign_in_at",
    "lockout_expires_in_seconds",
    "verification_attempts_remaining",
    "create_organizations_limit",
    "last_active_at",
    "legal_accepted_at",
    "scim",
};

const Keys kEmailAddressKeys = {
    "id",           "object",    "email_address",          "reserved",
    "verification", "linked_to", "matches_sso_connection", "created_at",
    "updated_at",
};

const Keys kPhoneNumberKeys = {
    "id",
    "object",
    "phone_number",
    "reserved_for_second_factor",
    "default_second_factor",
    "reserved",
    "verification",
    "linked_to",
    "backup_codes",
    "created_at",
    "updated_at",
};

const Keys kWeb3WalletKeys = {"id",           "object",     "web3_wallet",
                              "verification", "created_at", "updated_at"};

const Keys kPasskeyKeys = {"id", "object", "name", "last_used_at",
                           "verification"};

const Keys kExternalAccountKeys = {
    "object",
    "id",
    "provider",
    "identification_id",
    "provider_user_id",
    "approved_scopes",
    "email_address",
    "email_address_verified",
    "first_name",
    "last_name",
    "avatar_url",
    "image_url",
    "username",
    "phone_number",
    "public_metadata",
    "label",
    "created_at",
    "updated_at",
    "verification",
    // Not in the OpenAPI schema (which allows additional properties); the
    // JS SDK documents it for Google and Facebook accounts.
    "external_account_id",
};

const Keys kSamlAccountKeys = {
    "id",
    "object",
    "provider",
    "active",
    "email_address",
    "first_name",
    "last_name",
    "provider_user_id",
    "last_authenticated_at",
    "public_metadata",
    "verification",
    "saml_connection",
};

const Keys kSamlConnectionKeys = {
    "id",
    "name",
    "domain",
    "domains",
    "active",
    "provider",
    "sync_user_attributes",
    "allow_subdomains",
    "allow_idp_initiated",
    "disable_additional_identifications",
    "created_at",
    "updated_at",
};

const Keys kEnterpriseAccountKeys = {
    "id",
    "object",
    "protocol",
    "provider",
    "active",
    "email_address",
    "first_name",
    "last_name",
    "provider_user_id",
    "enterprise_connection_id",
    "public_metadata",
    "verification",
    "enterprise_connection",
    "last_authenticated_at",
};

const Keys kEnterpriseConnectionKeys = {
    "id",
    "protocol",
    "provider",
    "name",
    "logo_public_url",
    "domain",
    "domains",
    "active",
    "sync_user_attributes",
    "allow_subdomains",
    "allow_idp_initiated",
    "disable_additional_identifications",
    "created_at",
    "updated_at",
};

const Keys kOrganizationMembershipKeys = {
    "id",
    "object",
    "role",
    "role_name",
    "permissions",
    "public_metadata",
    "private_metadata",
    "organization",
    "public_user_data",
    "created_at",
    "updated_at",
};

const Keys kOrganizationKeys = {
    "object",
    "id",
    "name",
    "slug",
    "image_url",
    "has_image",
    "members_count",
    "missing_member_with_elevated_permissions",
    "pending_invitations_count",
    "max_allowed_memberships",
    "admin_delete_enabled",
    "public_metadata",
    "private_metadata",
    "created_by",
    "created_at",
    "updated_at",
    "last_active_at",
    "role_set_key",
};

const Keys kPublicUserDataKeys = {
    "user_id",   "first_name",    "last_name",  "profile_image_url",
    "image_url", "has_image",     "identifier", "username",
    "banned",    "deprovisioned",
};

const Keys kScimKeys = {"directory_id", "directory_enabled", "external_id"};

const Keys kIdentificationLinkKeys = {"type", "id"};

const Keys kClerkErrorKeys = {"message", "long_message", "code", "meta"};

// Keys of each verification variant, by its `object`.
const std::map<std::string, Keys> kVerificationKeys = {
    {"verification_otp",
     {"object", "status", "strategy", "attempts", "expire_at", "channel",
      "verified_at_client"}},
    {"verification_admin",
     {"object", "status", "strategy", "attempts", "expire_at",
      "verified_at_client"}},
    {"verification_from_oauth",
     {"object", "status", "strategy", "error", "expire_at", "attempts",
      "verified_at_client"}},
    {"verification_ticket",
     {"object", "status", "strategy", "attempts", "expire_at",
      "verified_at_client"}},
    {"verification_saml",
     {"object", "status", "strategy", "external_verification_redirect_url",
      "error", "expire_at", "attempts", "verified_at_client"}},
    {"verification_email_link",
     {"object", "status", "strategy", "attempts", "expire_at",
      "verified_at_client"}},
    {"verification_scim",
     {"object", "status", "strategy", "attempts", "expire_at"}},
    {"verification_web3",
     {"object", "status", "strategy", "nonce", "message", "attempts",
      "expire_at", "verified_at_client"}},
    {"verification_passkey",
     {"object", "status", "strategy", "nonce", "message", "attempts",
      "expire_at", "verified_at_client"}},
    {"verification_oauth",
     {"object", "status", "strategy", "external_verification_redirect_url",
      "error", "expire_at", "attempts", "verified_at_client"}},
    {"verification_google_one_tap",
     {"object", "status", "strategy", "expire_at", "attempts",
      "verified_at_client", "error"}},
};

ListValue SeedUsers() {
  ListValue users;
  const absl::string_view json = SeedUsersJson();
  EXPECT_TRUE(
      google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(json.data(), json.size()), &users)
          .ok());
  return users;
}

const Struct& FirstUser() {
  static const Struct* const user =
      new Struct(SeedUsers().values(0).struct_value());
  return *user;
}

// Expects `object` to have exactly `keys`, none of them null.
void ExpectComplete(const Struct& object, const Keys& keys,
                    const std::string& where) {
  for (const std::string& key : keys) {
    const auto it = object.fields().find(key);
    if (it == object.fields().end()) {
      ADD_FAILURE() << where << " lacks " << key;
    } else {
      EXPECT_NE(it->second.kind_case(), Value::kNullValue)
          << where << "." << key << " is null";
    }
  }
  for (const auto& [key, value] : object.fields()) {
    EXPECT_TRUE(keys.count(key)) << where << " has extra key " << key;
  }
}

const Struct& Object(const Struct& parent, const std::string& key) {
  return parent.fields().at(key).struct_value();
}

// The elements of array `key`, expected to be objects and not empty.
std::vector<const Struct*> Objects(const Struct& parent, const std::string& key,
                                   const std::string& where) {
  std::vector<const Struct*> objects;
  const auto it = parent.fields().find(key);
  if (it == parent.fields().end()) return objects;
  for (const Value& value : it->second.list_value().values()) {
    EXPECT_EQ(value.kind_case(), Value::kStructValue) << where << "." << key;
    objects.push_back(&value.struct_value());
  }
  EXPECT_FALSE(objects.empty()) << where << "." << key << " is empty";
  return objects;
}

// Expects a complete verification of one of the `allowed` variants.
void ExpectVerification(const Struct& parent, const Keys& allowed,
                        const std::string& where) {
  const Struct& verification = Object(parent, "verification");
  const std::string variant = verification.fields().at("object").string_value();
  ASSERT_TRUE(allowed.count(variant)) << where << " has " << variant;
  ExpectComplete(verification, kVerificationKeys.at(variant),
                 where + ".verification");
  if (verification.fields().count("error")) {
    ExpectComplete(Object(verification, "error"), kClerkErrorKeys,
                   where + ".verification.error");
  }
}

// Every *_at value under `value` is an integral epoch-millisecond number.
void ExpectMillisecondTimestamps(const Value& value, const std::string& where) {
  if (value.has_list_value()) {
    for (const Value& element : value.list_value().values()) {
      ExpectMillisecondTimestamps(element, where + "[]");
    }
  }
  if (!value.has_struct_value()) return;
  for (const auto& [key, field] : value.struct_value().fields()) {
    if (absl::EndsWith(key, "_at") && field.has_number_value()) {
      const double ms = field.number_value();
      EXPECT_EQ(ms, std::floor(ms)) << where << "." << key;
      EXPECT_GE(ms, 1e12) << where << "." << key << " is not in ms";
      EXPECT_LT(ms, 1e13) << where << "." << key << " is not in ms";
    }
    ExpectMillisecondTimestamps(field, where + "." + key);
  }
}

// True when the metadata object nests an object or an array.
bool HasNestedValue(const Struct& metadata) {
  for (const auto& [key, value] : metadata.fields()) {
    if (value.has_struct_value() || value.has_list_value()) return true;
  }
  return false;
}

TEST(SeedUsersTest, ParsesWithTheExpectedIds) {
  const ListValue users = SeedUsers();
  ASSERT_GE(users.values_size(), 3);
  EXPECT_EQ(users.values(0).struct_value().fields().at("id").string_value(),
            "user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
  EXPECT_EQ(users.values(1).struct_value().fields().at("id").string_value(),
            "user_2Q4bB3vJc5tKx8ZsLmPqRtW9yUe");
  std::set<std::string> ids;
  for (const Value& user : users.values()) {
    const std::string id = user.struct_value().fields().at("id").string_value();
    EXPECT_TRUE(absl::StartsWith(id, "user_2")) << id;
    EXPECT_EQ(id.size(), 32) << id;
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
  }
}

TEST(SeedUsersTest, EveryUserHasEveryUserKey) {
  const ListValue users = SeedUsers();
  for (const Value& value : users.values()) {
    const Struct& user = value.struct_value();
    const std::string id = user.fields().at("id").string_value();
    for (const std::string& key : kUserKeys) {
      const auto it = user.fields().find(key);
      ASSERT_NE(it, user.fields().end()) << id << " lacks " << key;
      if (!kUserNullableKeys.count(key)) {
        EXPECT_NE(it->second.kind_case(), Value::kNullValue)
            << id << "." << key << " is not nullable";
      }
    }
    EXPECT_EQ(user.fields().size(), kUserKeys.size()) << id;
    EXPECT_EQ(user.fields().at("object").string_value(), "user");
    ExpectMillisecondTimestamps(value, id);
  }
}

TEST(SeedUsersTest, FirstUserHasEveryUserFieldSet) {
  ExpectComplete(FirstUser(), kUserKeys, "user");
  EXPECT_TRUE(FirstUser().fields().at("has_image").bool_value());
}

TEST(SeedUsersTest, FirstUserMetadataIsNested) {
  for (const char* key :
       {"public_metadata", "private_metadata", "unsafe_metadata"}) {
    EXPECT_TRUE(HasNestedValue(Object(FirstUser(), key))) << key;
  }
}

TEST(SeedUsersTest, FirstUserEmailAddressesAreComplete) {
  bool linked = false;
  for (const Struct* email : Objects(FirstUser(), "email_addresses", "user")) {
    ExpectComplete(*email, kEmailAddressKeys, "email_address");
    ExpectVerification(
        *email,
        {"verification_otp", "verification_admin", "verification_from_oauth",
         "verification_ticket", "verification_saml", "verification_email_link",
         "verification_scim"},
        "email_address");
    for (const Value& link :
         email->fields().at("linked_to").list_value().values()) {
      ExpectComplete(link.struct_value(), kIdentificationLinkKeys,
                     "email_address.linked_to");
      linked = true;
    }
  }
  EXPECT_TRUE(linked) << "no email address is linked to an account";
}

TEST(SeedUsersTest, FirstUserPhoneNumbersAreComplete) {
  for (const Struct* phone : Objects(FirstUser(), "phone_numbers", "user")) {
    ExpectComplete(*phone, kPhoneNumberKeys, "phone_number");
    ExpectVerification(*phone, {"verification_otp", "verification_admin"},
                       "phone_number");
    EXPECT_GT(phone->fields().at("backup_codes").list_value().values_size(), 0);
  }
}

TEST(SeedUsersTest, FirstUserWeb3WalletsAndPasskeysAreComplete) {
  for (const Struct* wallet : Objects(FirstUser(), "web3_wallets", "user")) {
    ExpectComplete(*wallet, kWeb3WalletKeys, "web3_wallet");
    ExpectVerification(*wallet, {"verification_web3", "verification_admin"},
                       "web3_wallet");
  }
  for (const Struct* passkey : Objects(FirstUser(), "passkeys", "user")) {
    ExpectComplete(*passkey, kPasskeyKeys, "passkey");
    ExpectVerification(*passkey, {"verification_passkey"}, "passkey");
  }
}

TEST(SeedUsersTest, FirstUserExternalAccountsAreComplete) {
  for (const Struct* account :
       Objects(FirstUser(), "external_accounts", "user")) {
    ExpectComplete(*account, kExternalAccountKeys, "external_account");
    ExpectVerification(*account,
                       {"verification_oauth", "verification_google_one_tap"},
                       "external_account");
    EXPECT_TRUE(HasNestedValue(Object(*account, "public_metadata")));
  }
}

TEST(SeedUsersTest, FirstUserSamlAndEnterpriseAccountsAreComplete) {
  for (const Struct* account : Objects(FirstUser(), "saml_accounts", "user")) {
    ExpectComplete(*account, kSamlAccountKeys, "saml_account");
    ExpectVerification(*account, {"verification_saml", "verification_ticket"},
                       "saml_account");
    ExpectComplete(Object(*account, "saml_connection"), kSamlConnectionKeys,
                   "saml_account.saml_connection");
  }
  for (const Struct* account :
       Objects(FirstUser(), "enterprise_accounts", "user")) {
    ExpectComplete(*account, kEnterpriseAccountKeys, "enterprise_account");
    ExpectVerification(
        *account,
        {"verification_ticket", "verification_saml", "verification_oauth"},
        "enterprise_account");
    ExpectComplete(Object(*account, "enterprise_connection"),
                   kEnterpriseConnectionKeys,
                   "enterprise_account.enterprise_connection");
  }
}

TEST(SeedUsersTest, FirstUserOrganizationMembershipsAreComplete) {
  for (const Struct* membership :
       Objects(FirstUser(), "organization_memberships", "user")) {
    ExpectComplete(*membership, kOrganizationMembershipKeys,
                   "organization_membership");
    ExpectComplete(Object(*membership, "organization"), kOrganizationKeys,
                   "organization_membership.organization");
    const Struct& data = Object(*membership, "public_user_data");
    ExpectComplete(data, kPublicUserDataKeys,
                   "organization_membership.public_user_data");
    EXPECT_EQ(data.fields().at("user_id").string_value(),
              FirstUser().fields().at("id").string_value());
    EXPECT_EQ(data.fields().at("image_url").string_value(),
              FirstUser().fields().at("image_url").string_value());
  }
}

TEST(SeedUsersTest, FirstUserScimIsComplete) {
  ExpectComplete(Object(FirstUser(), "scim"), kScimKeys, "scim");
}

}  // namespace
}  // namespace clerk::emulator
