#ifndef FUZZ_IMAGE_FUZZ_CHECKS_H_
#define FUZZ_IMAGE_FUZZ_CHECKS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace userimage {

// The properties the image fuzzers check on every input. Each returns OK
// when they hold, or an INTERNAL error saying which property failed (a bug
// in the library). The fuzz targets abort on such an error; the test
// //tests/image:fuzz_corpus_test runs the committed corpora through them.
// Pure functions; thread-safe.

// InspectImage either fails with INVALID_ARGUMENT and a message, or returns
// the sniffed type and at least one frame; CheckDimensions then either
// fails with INVALID_ARGUMENT or the image is within the default limits.
absl::Status CheckInspectProperties(absl::string_view bytes);

// StripMetadata either fails with INVALID_ARGUMENT and a message, or its
// output is no larger than the input, has the same InspectImage result as
// the input, and comes back unchanged when stripped again.
absl::Status CheckStripProperties(absl::string_view bytes);

// For every image type, SafeFilename returns a non-empty name of at most
// kMaxSafeFilenameLength bytes from the safe character set, with exactly
// one dot, before the type's extension, not starting with a separator, and
// unchanged when made safe again.
absl::Status CheckSafeFilenameProperties(absl::string_view name);

// Prints the failed property and aborts (so that libFuzzer records the
// input) unless `status` is OK.
void AbortIfViolated(const absl::Status& status);

}  // namespace userimage

#endif  // FUZZ_IMAGE_FUZZ_CHECKS_H_
