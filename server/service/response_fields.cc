#include "server/service/response_fields.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/field_mask_util.h"
#include "server/config/config_lines.h"
#include "server/status/status_details.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::User;
using ::google::protobuf::FieldMask;
using ::google::protobuf::util::FieldMaskUtil;

// The first path of `mask` that is not a path of User, if any.
std::optional<std::string> UnknownPath(const FieldMask& mask) {
  for (const std::string& path : mask.paths()) {
    if (!FieldMaskUtil::IsValidPath<User>(path)) return path;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<ResponseFields> ResponseFields::Parse(
    absl::string_view contents) {
  ResponseFields fields;
  fields.has_policy_ = true;
  for (const auto& [number, identity, paths] : ReadConfigLines(contents)) {
    if (paths.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the response fields file line ", number,
          ": expected \"<identity> <comma-separated field paths>\""));
    }
    FieldMask mask;
    FieldMaskUtil::FromString(absl::StrReplaceAll(paths, {{" ", ""}}), &mask);
    if (auto unknown = UnknownPath(mask)) {
      return absl::InvalidArgumentError(
          absl::StrCat("the response fields file line ", number, ": \"",
                       *unknown, "\" is not a field path of Clerk's User"));
    }
    if (!fields.allowed_.emplace(identity, std::move(mask)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("the response fields file line ", number, ": ", identity,
                       " already has a line"));
    }
  }
  return fields;
}

absl::StatusOr<ResponseFields::Mask> ResponseFields::For(
    absl::string_view caller, const FieldMask& read_mask,
    absl::string_view field) const {
  if (auto unknown = UnknownPath(read_mask)) {
    return InvalidFieldError(
        field, "UNKNOWN_READ_MASK_PATH",
        absl::StrCat(field, ": \"", *unknown,
                     "\" is not a field path of User (use proto field names, "
                     "e.g. \"image_url\", nested with '.' through singular "
                     "messages)"));
  }
  const bool narrowed = read_mask.paths_size() > 0;
  if (!has_policy_) return narrowed ? Mask(read_mask) : Mask();
  auto it = allowed_.find(caller);
  if (it == allowed_.end()) it = allowed_.find("*");
  if (it == allowed_.end()) return Mask(FieldMask());  // Nothing allowed.
  if (!narrowed) return Mask(it->second);
  FieldMask both;
  FieldMaskUtil::Intersect(it->second, read_mask, &both);
  return Mask(std::move(both));
}

void ResponseFields::Apply(const Mask& mask, User& user) {
  if (mask.has_value()) {
    // TrimMessage keeps everything for an empty mask: an empty mask here
    // means nothing may be returned.
    if (mask->paths_size() == 0) {
      user.Clear();
    } else {
      FieldMaskUtil::TrimMessage(*mask, &user);
    }
  }
  for (auto& phone : *user.mutable_phone_numbers()) phone.clear_backup_codes();
}

}  // namespace userimage
