// TuneAllocator() for builds linking gperftools' tcmalloc.

#include <cstdlib>

#include "gperftools/malloc_extension.h"
#include "server/allocator/allocator.h"

namespace userimage {
namespace {

constexpr char kThreadCacheProperty[] = "tcmalloc.max_total_thread_cache_bytes";

}  // namespace

std::optional<size_t> TuneAllocator() {
  if (std::getenv("TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES") != nullptr) {
    return std::nullopt;
  }
  if (!MallocExtension::instance()->SetNumericProperty(kThreadCacheProperty,
                                                       kThreadCacheBytes)) {
    return std::nullopt;
  }
  return kThreadCacheBytes;
}

std::optional<size_t> ThreadCacheLimit() {
  size_t bytes = 0;
  if (!MallocExtension::instance()->GetNumericProperty(kThreadCacheProperty,
                                                       &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

}  // namespace userimage
