#ifndef TOOLS_BENCH_UPLOAD_LOAD_H_
#define TOOLS_BENCH_UPLOAD_LOAD_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"

namespace clerk::userimage::bench {

struct LoadOptions {
  // Uploads offered, all at once.
  int uploads = 1000;
  // Users the uploads go to, round-robin.
  std::vector<std::string> users;
  // Deadline of each call, from its start.
  absl::Duration deadline = absl::Seconds(300);
  // Size of each image (a PNG signature, then pseudo-random bytes).
  size_t image_bytes = 400;
  // How often `progress` is called while calls are outstanding.
  absl::Duration progress_interval = absl::Seconds(10);
  // Called on the calling thread with the time since release and the number
  // of calls finished; may be empty.
  std::function<void(absl::Duration elapsed, int finished)> progress;
};

// One UploadProfileImage call, its times relative to the release.
struct UploadOutcome {
  absl::Duration started;
  absl::Duration finished;
  absl::StatusCode code = absl::StatusCode::kUnknown;
};

struct LoadResult {
  // Calendar time of the release: the instant every call was let go.
  absl::Time released;
  // From the release until the last call returned, whatever its outcome.
  absl::Duration wall;
  std::vector<UploadOutcome> outcomes;
};

// The image of upload `index`, of exactly `size` bytes: deterministic and
// distinct per index. From 57 bytes on, a structurally valid 1x1 PNG
// (IHDR, one IDAT of pseudo-random bytes, IEND, correct CRCs) that passes
// the service's header checks unchanged; below that, the PNG signature and
// pseudo-random bytes.
std::string MakeImage(size_t size, int index);

// The same for a baseline JPEG as a phone writes it: SOI, an APP1 EXIF
// segment of 60 KiB (which the service strips, so it makes a copy), DQT,
// SOF0 (1000x1000), DHT, SOS, pseudo-random entropy-coded data without
// markers, EOI. At least 64 KiB + 200 bytes; exactly `size` above that.
std::string MakeExifJpeg(size_t size, int index);

// Runs `options.uploads` blocking UploadProfileImage calls on `channel`, one
// thread each. Every thread is created and parked first; then all are
// released together, so that every call is in flight from the release on.
// Returns once every call has returned (each is bounded by its deadline).
LoadResult RunUploads(const std::shared_ptr<grpc::Channel>& channel,
                      const LoadOptions& options);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_UPLOAD_LOAD_H_
