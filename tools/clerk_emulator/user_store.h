#ifndef TOOLS_CLERK_EMULATOR_USER_STORE_H_
#define TOOLS_CLERK_EMULATOR_USER_STORE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"

namespace clerk::emulator {

// Clerk User objects kept as generic JSON (google.protobuf.Struct), loaded
// from a seed and served back as JSON. Numbers are doubles, so epoch
// millisecond timestamps (13 digits) print as plain integers. Thread-safe.
// Id of generated user `index`: "user_load" and six digits.
std::string GeneratedUserId(int index);

class UserStore {
 public:
  // `seed_json` is a JSON array of User objects, each with a unique string
  // `id` and `"object": "user"`. `generated_users` more are copies of the
  // first seed user with ids GeneratedUserId(0 .. generated_users - 1), for
  // load tests that need many distinct users.
  static absl::StatusOr<std::unique_ptr<UserStore>> Create(
      absl::string_view seed_json, int generated_users = 0);

  bool Contains(absl::string_view user_id) const;
  // The user as JSON, or nullopt when the id is unknown.
  std::optional<std::string> GetJson(absl::string_view user_id) const;

  // Sets the user's image_url and profile_image_url to `image_url`, its
  // has_image to `has_image` and updated_at to `now` (epoch ms), also in
  // the public_user_data of its organization memberships. Returns the
  // updated user as JSON, or nullopt when the id is unknown.
  std::optional<std::string> SetImage(absl::string_view user_id,
                                      absl::string_view image_url,
                                      bool has_image, absl::Time now);

  // Restores the seed users.
  void Reset();

 private:
  using Users = std::map<std::string, google::protobuf::Struct, std::less<>>;

  UserStore(Users seeds, int generated_users, google::protobuf::Struct model);

  // Whether `user_id` is GeneratedUserId(i) for some i < generated_users_.
  bool IsGenerated(absl::string_view user_id) const;
  // The stored user, or model_ for a generated one not yet changed.
  const google::protobuf::Struct* Find(absl::string_view user_id) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The stored user, storing a generated one first.
  google::protobuf::Struct* FindForWrite(absl::string_view user_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Users seeds_;
  // Generated users are copies of model_ (the first seed user), stored only
  // once they change, so that Create() and Reset() stay cheap.
  const int generated_users_;
  const google::protobuf::Struct model_;
  mutable absl::Mutex mu_;
  Users users_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_USER_STORE_H_
