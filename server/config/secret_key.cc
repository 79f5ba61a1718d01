#include "server/config/secret_key.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace userimage {

absl::StatusOr<std::string> LoadSecretKey(const char* env_value,
                                          absl::string_view key_file) {
  std::string key;
  std::string source;
  if (!key_file.empty()) {
    std::ifstream in{std::string(key_file)};
    if (!in) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read the Clerk secret key file ", key_file));
    }
    std::stringstream contents;
    contents << in.rdbuf();
    key = std::string(absl::StripAsciiWhitespace(contents.str()));
    source = absl::StrCat("the file ", key_file);
  } else if (env_value != nullptr) {
    key = env_value;
    source = "CLERK_SECRET_KEY";
  } else {
    return absl::FailedPreconditionError(
        "no Clerk secret key: set CLERK_SECRET_KEY or "
        "--clerk_secret_key_file");
  }
  if (key.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the Clerk secret key from ", source, " is empty"));
  }
  for (char c : key) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) {
      return absl::FailedPreconditionError(
          absl::StrCat("the Clerk secret key from ", source,
                       " contains spaces or control characters"));
    }
  }
  return key;
}

}  // namespace userimage
