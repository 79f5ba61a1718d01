#include "server/config/secret_key.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/config/secret_memory.h"

namespace userimage {
namespace {

// The whole of the file at `path` into `out`; false if it cannot be read
// or holds more than 64 KiB (a key is far smaller).
bool ReadFileOnce(const std::string& path, std::string& out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.resize(64 * 1024);
  size_t size = 0;
  ssize_t n;
  while (size < out.size() &&
         (n = read(fd, out.data() + size, out.size() - size)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      Wipe(out);
      return false;
    }
    size += static_cast<size_t>(n);
  }
  char more;
  const bool larger = size == out.size() && read(fd, &more, 1) > 0;
  close(fd);
  if (larger) {  // Not a key: refused rather than cut.
    Wipe(out);
    return false;
  }
  std::string kept(out.data(), size);
  Wipe(out);
  out = std::move(kept);  // kept's buffer moves: no copy is left behind.
  return true;
}

}  // namespace

absl::StatusOr<std::string> LoadSecretKey(const char* env_value,
                                          absl::string_view key_file) {
  std::string key;
  std::string source;
  if (!key_file.empty()) {
    // read(2) straight into one string, wiped after: no stream buffer
    // keeps a copy.
    std::string contents;
    if (!ReadFileOnce(std::string(key_file), contents)) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read the Clerk secret key file ", key_file));
    }
    key = std::string(absl::StripAsciiWhitespace(contents));
    Wipe(contents);
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
