#ifndef TOOLS_CLERK_EMULATOR_SEED_USERS_H_
#define TOOLS_CLERK_EMULATOR_SEED_USERS_H_

#include "absl/strings/string_view.h"

namespace clerk::emulator {

// The seed users compiled into the binary: the contents of
// tools/clerk_emulator/seed_users.json, a JSON array of Clerk User objects.
absl::string_view SeedUsersJson();

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_SEED_USERS_H_
