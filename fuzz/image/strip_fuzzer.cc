// libFuzzer entry point for StripMetadata: see CheckStripProperties in
// fuzz_checks.h for what it checks. tools/fuzz.sh and
// fuzz/run_fuzzers.sh fuzz it; in other builds it replays its corpus.

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "fuzz/image/fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  userimage::AbortIfViolated(userimage::CheckStripProperties(
      absl::string_view(reinterpret_cast<const char*>(data), size)));
  return 0;
}
