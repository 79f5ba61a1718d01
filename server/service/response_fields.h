#ifndef SERVER_SERVICE_RESPONSE_FIELDS_H_
#define SERVER_SERVICE_RESPONSE_FIELDS_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clerk/userimage/v1/user.pb.h"
#include "google/protobuf/field_mask.pb.h"

namespace userimage {

// Which fields of Clerk's User a caller receives (least privilege on the
// answer): the most each caller identity may receive, from
// --response_fields_file, narrowed by the call's read_mask (AIP-157).
// Phone numbers' backup_codes never leave the service, whatever the masks.
// Immutable after Parse(); thread-safe.
class ResponseFields {
 public:
  // What a call returns: nullopt for every field, else exactly the mask's
  // (an empty mask: an empty User).
  using Mask = std::optional<google::protobuf::FieldMask>;

  // No policy: every caller may receive the whole User.
  ResponseFields() = default;

  // Lines "<identity> <comma-separated field paths>"; identity "*" for
  // every caller without a line of its own; '#' starts a comment. Paths
  // are User's proto field names, nested with '.'. With a policy, a caller
  // with no line and no "*" line receives an empty User. INVALID_ARGUMENT
  // naming the line on an unknown path or a repeated identity.
  static absl::StatusOr<ResponseFields> Parse(absl::string_view contents);

  // The mask for a call by `caller` ("" when anonymous) that asked for
  // `read_mask` (empty: everything it may receive), the request field
  // `field`. INVALID_ARGUMENT naming the path, with a BadRequest violation
  // of `field` and reason UNKNOWN_READ_MASK_PATH, when read_mask holds a
  // path User does not have.
  absl::StatusOr<Mask> For(absl::string_view caller,
                           const google::protobuf::FieldMask& read_mask,
                           absl::string_view field = "read_mask") const;

  // Trims `user` to `mask` and drops every backup code.
  static void Apply(const Mask& mask, clerk::userimage::v1::User& user);

 private:
  bool has_policy_ = false;
  absl::flat_hash_map<std::string, google::protobuf::FieldMask> allowed_;
};

}  // namespace userimage

#endif  // SERVER_SERVICE_RESPONSE_FIELDS_H_
