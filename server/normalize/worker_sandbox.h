#ifndef SERVER_NORMALIZE_WORKER_SANDBOX_H_
#define SERVER_NORMALIZE_WORKER_SANDBOX_H_

#include <cstdint>

#include "absl/status/status.h"

namespace userimage {

// What a sandboxed normalize worker may use.
struct SandboxLimits {
  // RLIMIT_AS: the worker's whole address space, libvips' buffers
  // included. A decode that needs more fails (or the worker dies), and the
  // server replaces it. Not applied in AddressSanitizer or ThreadSanitizer
  // builds, whose shadow memory alone is terabytes of address space.
  uint64_t address_space_bytes = uint64_t{1} << 30;
  // RLIMIT_CPU over the worker's life, in seconds: past it the kernel
  // kills the worker. The server's per-image timeout is the finer bound.
  uint32_t cpu_seconds = 600;
  // For a fuzz target running the worker's input path under the same
  // filter: files, processes (libFuzzer and AddressSanitizer run a
  // symbolizer) and what libFuzzer needs between inputs are allowed too
  // (the network still is not), and a forbidden call raises SIGSYS
  // (SECCOMP_RET_TRAP) instead of killing, so that the fuzzer can report
  // the input. Never for a real worker.
  bool for_fuzzer = false;
};

// Confines the calling process, irreversibly, before it reads untrusted
// input:
// - rlimits: `limits` and no core dumps;
// - no_new_privs and not dumpable;
// - a seccomp filter that allows only what decoding and encoding in memory
//   needs (memory, threads, futexes, clocks, reading and writing the
//   already-open pipes) and kills the process on any other system call;
//   opening files and creating sockets fail with EACCES instead, so a
//   library that probes for a file carries on without it.
// Call from a single-threaded process (the filter is installed with TSYNC
// for threads started later anyway). Returns INTERNAL if any step failed,
// in which case the caller must exit rather than read input.
absl::Status EnterSandbox(const SandboxLimits& limits);

}  // namespace userimage

#endif  // SERVER_NORMALIZE_WORKER_SANDBOX_H_
