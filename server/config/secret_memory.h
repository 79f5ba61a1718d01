#ifndef SERVER_CONFIG_SECRET_MEMORY_H_
#define SERVER_CONFIG_SECRET_MEMORY_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace userimage {

// A secret (the Clerk key) in memory of its own: pages mapped for it alone
// and marked MADV_DONTDUMP, so that no core dump holds it even if dumps
// are re-enabled, and overwritten before they are unmapped. If the mapping
// cannot be made, the bytes live on the heap instead (still wiped when
// freed). Move-only; immutable; safe to read from any thread.
class SecretString {
 public:
  explicit SecretString(absl::string_view value);
  ~SecretString();
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;

  absl::string_view view() const { return {data_, size_}; }
  // Whether the bytes are in their own MADV_DONTDUMP pages.
  bool excluded_from_dumps() const { return mapped_ != 0; }

 private:
  void Release();

  char* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // Bytes mapped; 0: on the heap.
};

// Overwrites `s`'s bytes (a compiler may not elide it) and empties it.
void Wipe(std::string& s);

// Makes the process non-dumpable (prctl PR_SET_DUMPABLE 0): no core dump,
// and other processes of the same user cannot ptrace it or read its
// memory through /proc. Called once at start-up, before the key is read.
absl::Status MakeProcessUndumpable();

}  // namespace userimage

#endif  // SERVER_CONFIG_SECRET_MEMORY_H_
