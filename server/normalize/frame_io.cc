#include "server/normalize/frame_io.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace userimage {
namespace {

// Waits until `fd` is ready for `events` or the deadline passes.
absl::Status WaitFor(int fd, short events, absl::Time deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError("the worker took too long");
      }
      timeout_ms = static_cast<int>(
          std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, INT32_MAX));
    }
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, timeout_ms);
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll failed: errno ", errno));
    }
  }
}

absl::Status WriteAll(int fd, const char* data, size_t size,
                      absl::Time deadline) {
  while (size > 0) {
    if (absl::Status s = WaitFor(fd, POLLOUT, deadline); !s.ok()) return s;
    const ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EPIPE) return absl::UnavailableError("the pipe is closed");
      return absl::InternalError(absl::StrCat("write failed: errno ", errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status ReadAll(int fd, char* data, size_t size, absl::Time deadline) {
  while (size > 0) {
    if (absl::Status s = WaitFor(fd, POLLIN, deadline); !s.ok()) return s;
    const ssize_t n = read(fd, data, size);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::InternalError(absl::StrCat("read failed: errno ", errno));
    }
    if (n == 0) return absl::UnavailableError("the pipe is closed");
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFrame(int fd, absl::string_view payload,
                        absl::Time deadline) {
  return WriteFrame(fd, absl::MakeConstSpan(&payload, 1), deadline);
}

absl::Status WriteFrame(int fd, absl::Span<const absl::string_view> pieces,
                        absl::Time deadline) {
  uint64_t total = 0;
  for (absl::string_view piece : pieces) total += piece.size();
  if (total > UINT32_MAX) {
    return absl::OutOfRangeError("the frame is over 4 GiB");
  }
  const uint32_t size = static_cast<uint32_t>(total);
  const char header[4] = {
      static_cast<char>(size >> 24), static_cast<char>(size >> 16),
      static_cast<char>(size >> 8), static_cast<char>(size)};
  if (absl::Status s = WriteAll(fd, header, sizeof(header), deadline);
      !s.ok()) {
    return s;
  }
  for (absl::string_view piece : pieces) {
    if (absl::Status s = WriteAll(fd, piece.data(), piece.size(), deadline);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ReadFrame(int fd, size_t max_size, absl::Time deadline,
                       std::string* payload,
                       absl::FunctionRef<bool(size_t)> admit) {
  unsigned char header[4];
  if (absl::Status s = ReadAll(fd, reinterpret_cast<char*>(header),
                               sizeof(header), deadline);
      !s.ok()) {
    return s;
  }
  const size_t size = size_t{header[0]} << 24 | size_t{header[1]} << 16 |
                      size_t{header[2]} << 8 | header[3];
  if (size > max_size) {
    return absl::OutOfRangeError(absl::StrCat(
        "a frame of ", size, " bytes is over the limit of ", max_size));
  }
  if (!admit(size)) {
    return absl::OutOfRangeError(
        absl::StrCat("a frame of ", size, " bytes was refused"));
  }
  payload->resize(size);
  return ReadAll(fd, payload->data(), size, deadline);
}

absl::Status ReadFrame(int fd, size_t max_size, absl::Time deadline,
                       std::string* payload) {
  return ReadFrame(fd, max_size, deadline, payload,
                   [](size_t) { return true; });
}

}  // namespace userimage
