#include "tools/clerk_emulator/user_store.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "tools/clerk_emulator/json.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;

void SetImageFields(absl::string_view image_url, bool has_image,
                    Struct* object) {
  auto& fields = *object->mutable_fields();
  fields["image_url"].set_string_value(std::string(image_url));
  fields["profile_image_url"].set_string_value(std::string(image_url));
  fields["has_image"].set_bool_value(has_image);
}

}  // namespace

std::string GeneratedUserId(int index) {
  return absl::StrFormat("user_load%06d", index);
}

absl::StatusOr<std::unique_ptr<UserStore>> UserStore::Create(
    absl::string_view seed_json, int generated_users) {
  ListValue list;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(seed_json.data(), seed_json.size()), &list);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("seed users are not a JSON array: ", parsed.ToString()));
  }
  Users users;
  for (const Value& value : list.values()) {
    if (!value.has_struct_value()) {
      return absl::InvalidArgumentError("seed user is not a JSON object");
    }
    const auto& fields = value.struct_value().fields();
    const auto id = fields.find("id");
    const auto object = fields.find("object");
    if (id == fields.end() || !id->second.has_string_value() ||
        object == fields.end() || object->second.string_value() != "user") {
      return absl::InvalidArgumentError(
          "seed user lacks a string id or \"object\": \"user\"");
    }
    if (!users.emplace(id->second.string_value(), value.struct_value())
             .second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate seed user ", id->second.string_value()));
    }
  }
  if (generated_users > 0 && users.empty()) {
    return absl::InvalidArgumentError("generated users need a seed user");
  }
  const google::protobuf::Struct model =
      users.empty() ? google::protobuf::Struct() : users.begin()->second;
  for (int i = 0; i < generated_users; ++i) {
    const std::string id = GeneratedUserId(i);
    google::protobuf::Struct user = model;
    (*user.mutable_fields())["id"].set_string_value(id);
    if (!users.emplace(id, std::move(user)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("generated user ", id, " repeats a seed user"));
    }
  }
  return std::unique_ptr<UserStore>(new UserStore(std::move(users)));
}

UserStore::UserStore(Users seeds) : seeds_(std::move(seeds)), users_(seeds_) {}

bool UserStore::Contains(absl::string_view user_id) const {
  absl::MutexLock lock(&mu_);
  return users_.find(user_id) != users_.end();
}

std::optional<std::string> UserStore::GetJson(absl::string_view user_id) const {
  absl::MutexLock lock(&mu_);
  const auto it = users_.find(user_id);
  if (it == users_.end()) return std::nullopt;
  return PrintJson(it->second);
}

std::optional<std::string> UserStore::SetImage(absl::string_view user_id,
                                               absl::string_view image_url,
                                               bool has_image, absl::Time now) {
  absl::MutexLock lock(&mu_);
  const auto it = users_.find(user_id);
  if (it == users_.end()) return std::nullopt;
  Struct& user = it->second;
  SetImageFields(image_url, has_image, &user);
  (*user.mutable_fields())["updated_at"].set_number_value(
      static_cast<double>(absl::ToUnixMillis(now)));
  auto memberships = user.mutable_fields()->find("organization_memberships");
  if (memberships != user.mutable_fields()->end() &&
      memberships->second.has_list_value()) {
    for (Value& membership :
         *memberships->second.mutable_list_value()->mutable_values()) {
      if (!membership.has_struct_value()) continue;
      auto& membership_fields =
          *membership.mutable_struct_value()->mutable_fields();
      auto public_user_data = membership_fields.find("public_user_data");
      if (public_user_data != membership_fields.end() &&
          public_user_data->second.has_struct_value()) {
        SetImageFields(image_url, has_image,
                       public_user_data->second.mutable_struct_value());
      }
    }
  }
  return PrintJson(user);
}

void UserStore::Reset() {
  absl::MutexLock lock(&mu_);
  users_ = seeds_;
}

}  // namespace clerk::emulator
