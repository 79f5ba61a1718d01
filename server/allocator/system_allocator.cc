// TuneAllocator() for builds keeping the C library's malloc (the sanitizer
// builds): nothing to tune.

#include "server/allocator/allocator.h"

namespace userimage {

std::optional<size_t> TuneAllocator() { return std::nullopt; }

std::optional<size_t> ThreadCacheLimit() { return std::nullopt; }

}  // namespace userimage
