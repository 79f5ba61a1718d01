// The normalize worker: a process the server execs (never forks) to decode
// untrusted images away from the Clerk secret key. Reads NormalizeRequest
// frames on stdin and answers each with a NormalizeResponse frame on
// stdout (server/normalize/frame_io.h), one at a time, until stdin closes.
//
// Before reading any input it starts libvips, then enters the sandbox
// (server/normalize/worker_sandbox.h), then sends one empty
// NormalizeResponse to say it is ready; if either step failed, that first
// frame is a failure saying why, and the worker exits.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "clerk/userimage/internal/v1/normalize.pb.h"
#include "server/normalize/frame_io.h"
#include "server/normalize/vips_normalize.h"
#include "server/normalize/worker_sandbox.h"

ABSL_FLAG(uint64_t, address_space_mb, 1024, "RLIMIT_AS of the worker, in MiB");
ABSL_FLAG(uint32_t, cpu_seconds, 600,
          "RLIMIT_CPU of the worker over its life, in seconds");
ABSL_FLAG(uint64_t, max_request_bytes, 11'000'000,
          "the largest request frame read");

namespace {

using clerk::userimage::internal::v1::NormalizeFailure;
using clerk::userimage::internal::v1::NormalizeRequest;
using clerk::userimage::internal::v1::NormalizeResponse;

constexpr int kIn = 0;
constexpr int kOut = 1;

bool Send(const NormalizeResponse& response) {
  return userimage::WriteFrame(kOut, response.SerializeAsString(),
                               absl::InfiniteFuture())
      .ok();
}

absl::Status Start() {
  if (absl::Status s = userimage::StartVipsForWorker(); !s.ok()) return s;
  return userimage::EnterSandbox(
      {.address_space_bytes = absl::GetFlag(FLAGS_address_space_mb) << 20,
       .cpu_seconds = absl::GetFlag(FLAGS_cpu_seconds)});
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing of the server's but the two pipes and stderr, even if the
  // spawner left something open.
  close_range(3, ~0U, 0);
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = Start(); !s.ok()) {
    NormalizeResponse failure;
    failure.mutable_failure()->set_kind(NormalizeFailure::KIND_INTERNAL);
    failure.mutable_failure()->set_message(std::string(s.message()));
    Send(failure);
    return 1;
  }
  if (!Send(NormalizeResponse())) return 1;
  const size_t max_request = absl::GetFlag(FLAGS_max_request_bytes);
  for (;;) {
    std::string frame;
    absl::Status read =
        userimage::ReadFrame(kIn, max_request, absl::InfiniteFuture(), &frame);
    if (absl::IsUnavailable(read)) return 0;  // The server closed the pipe.
    NormalizeRequest request;
    if (!read.ok() || !request.ParseFromString(frame)) return 2;
    frame.clear();
    frame.shrink_to_fit();
    if (!Send(userimage::NormalizeImage(request))) return 1;
  }
}
