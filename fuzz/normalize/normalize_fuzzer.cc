// The normalize worker's input path (NormalizeRequest parsing, then
// libvips decoding, rotation, scaling and encoding) under the worker's own
// seccomp filter and limits (in its fuzzing form: see
// SandboxLimits::for_fuzzer). The input is the image; the request's limits
// are the server's defaults with scaling to 256 px, so that both the
// pass-through and the scaling paths run. A system call the filter forbids
// aborts with its number, so the fuzzer keeps the input.
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "clerk/userimage/internal/v1/normalize.pb.h"
#include "server/normalize/vips_normalize.h"
#include "server/normalize/worker_sandbox.h"

// libvips keeps global state to the end, and leak checking at exit would
// need calls the filter forbids (ptrace): LeakSanitizer is off for this
// target, whatever ASAN_OPTIONS say.
extern "C" int __lsan_is_turned_off() { return 1; }

namespace {

void OnForbiddenCall(int, siginfo_t* info, void*) {
  char message[96];
  const int length =
      snprintf(message, sizeof(message), "the sandbox forbids system call %d\n",
               info->si_syscall);
  if (length > 0) write(2, message, static_cast<size_t>(length));
  abort();
}

void EnterSandboxOnce() {
  static const bool entered = [] {
    if (!userimage::StartVipsForWorker().ok()) abort();
    struct sigaction action = {};
    action.sa_sigaction = OnForbiddenCall;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &action, nullptr);
    if (!userimage::EnterSandbox({.address_space_bytes = uint64_t{4} << 30,
                                  .cpu_seconds = 3600,
                                  .for_fuzzer = true})
             .ok()) {
      abort();
    }
    return true;
  }();
  (void)entered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Entered at the first input, once libFuzzer has set itself up.
  EnterSandboxOnce();
  clerk::userimage::internal::v1::NormalizeRequest request;
  request.set_image(reinterpret_cast<const char*>(data), size);
  request.set_max_side_px(size % 2 == 0 ? 256 : 0);
  request.set_max_image_side_px(4096);
  request.set_max_image_pixels(4'000'000);
  request.set_max_output_bytes(10'000'000);
  const auto response = userimage::NormalizeImage(request);
  if (response.result_case() ==
      clerk::userimage::internal::v1::NormalizeResponse::RESULT_NOT_SET) {
    abort();  // Every input gets an image or a failure.
  }
  if (response.has_failure() && response.failure().message().empty()) {
    abort();  // Every failure says what is wrong.
  }
  return 0;
}
