#include "server/config/secret_memory.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace userimage {

SecretString::SecretString(absl::string_view value) : size_(value.size()) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t length = (value.size() / page + 1) * page;
  void* pages = mmap(nullptr, length, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages != MAP_FAILED && madvise(pages, length, MADV_DONTDUMP) == 0) {
    data_ = static_cast<char*>(pages);
    mapped_ = length;
  } else {
    if (pages != MAP_FAILED) munmap(pages, length);
    data_ = new char[value.size() + 1];
  }
  std::memcpy(data_, value.data(), value.size());
  data_[value.size()] = '\0';
}

SecretString::~SecretString() { Release(); }

SecretString::SecretString(SecretString&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

void SecretString::Release() {
  if (data_ == nullptr) return;
  explicit_bzero(data_, size_);
  if (mapped_ != 0) {
    munmap(data_, mapped_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
}

void Wipe(std::string& s) {
  explicit_bzero(s.data(), s.size());
  s.clear();
}

absl::Status MakeProcessUndumpable() {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("prctl(PR_SET_DUMPABLE, 0): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace userimage
