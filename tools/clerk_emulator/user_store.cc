#include "tools/clerk_emulator/user_store.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
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
  for (int i = 0; i < generated_users; ++i) {
    if (users.count(GeneratedUserId(i)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "generated user ", GeneratedUserId(i), " repeats a seed user"));
    }
  }
  Struct model = users.empty() ? Struct() : users.begin()->second;
  return std::unique_ptr<UserStore>(
      new UserStore(std::move(users), generated_users, std::move(model)));
}

UserStore::UserStore(Users seeds, int generated_users, Struct model)
    : seeds_(std::move(seeds)),
      generated_users_(generated_users),
      model_(std::move(model)),
      users_(seeds_) {}

bool UserStore::IsGenerated(absl::string_view user_id) const {
  constexpr absl::string_view kPrefix = "user_load";
  int index = 0;
  return absl::ConsumePrefix(&user_id, kPrefix) && user_id.size() == 6 &&
         absl::SimpleAtoi(user_id, &index) && index >= 0 &&
         index < generated_users_ &&
         GeneratedUserId(index) == absl::StrCat(kPrefix, user_id);
}

const Struct* UserStore::Find(absl::string_view user_id) const {
  const auto it = users_.find(user_id);
  if (it != users_.end()) return &it->second;
  return IsGenerated(user_id) ? &model_ : nullptr;
}

Struct* UserStore::FindForWrite(absl::string_view user_id) {
  const auto it = users_.find(user_id);
  if (it != users_.end()) return &it->second;
  if (!IsGenerated(user_id)) return nullptr;
  // A generated user is stored once it changes.
  Struct& user = users_.emplace(std::string(user_id), model_).first->second;
  (*user.mutable_fields())["id"].set_string_value(std::string(user_id));
  return &user;
}

bool UserStore::Contains(absl::string_view user_id) const {
  absl::MutexLock lock(&mu_);
  return Find(user_id) != nullptr;
}

std::optional<std::string> UserStore::GetJson(absl::string_view user_id) const {
  absl::MutexLock lock(&mu_);
  const Struct* user = Find(user_id);
  if (user == nullptr) return std::nullopt;
  if (user != &model_) return PrintJson(*user);
  Struct generated = model_;
  (*generated.mutable_fields())["id"].set_string_value(std::string(user_id));
  return PrintJson(generated);
}

std::optional<std::string> UserStore::SetImage(absl::string_view user_id,
                                               absl::string_view image_url,
                                               bool has_image, absl::Time now) {
  absl::MutexLock lock(&mu_);
  Struct* found = FindForWrite(user_id);
  if (found == nullptr) return std::nullopt;
  Struct& user = *found;
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
