#ifndef SERVER_NORMALIZE_FRAME_IO_H_
#define SERVER_NORMALIZE_FRAME_IO_H_

#include <cstddef>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace userimage {

// The framing of the normalize worker's pipes: a 4-byte big-endian length,
// then that many bytes (one serialized message). Blocking I/O on a pipe,
// bounded by `deadline` (absl::InfiniteFuture(): none) through poll(2), so
// the descriptors may be blocking or not. Retries on EINTR. Thread-
// compatible: one reader and one writer per descriptor.
//
// Errors are typed by code: DEADLINE_EXCEEDED when the deadline passed,
// UNAVAILABLE when the peer closed the pipe (EOF or EPIPE; SIGPIPE must be
// ignored), OUT_OF_RANGE for a frame over `max_size` or refused by
// `admit`, INTERNAL for any other error.

// Writes one frame holding `payload`, or the concatenation of `pieces`
// (written from where they are, without joining them first).
absl::Status WriteFrame(int fd, absl::string_view payload, absl::Time deadline);
absl::Status WriteFrame(int fd, absl::Span<const absl::string_view> pieces,
                        absl::Time deadline);

// Reads one frame into `payload`. `admit` sees the declared length before
// anything is allocated and may refuse it (e.g. over a memory budget).
absl::Status ReadFrame(int fd, size_t max_size, absl::Time deadline,
                       std::string* payload,
                       absl::FunctionRef<bool(size_t)> admit);
absl::Status ReadFrame(int fd, size_t max_size, absl::Time deadline,
                       std::string* payload);

}  // namespace userimage

#endif  // SERVER_NORMALIZE_FRAME_IO_H_
