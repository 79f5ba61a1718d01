#ifndef SERVER_ALLOCATOR_ALLOCATOR_H_
#define SERVER_ALLOCATOR_ALLOCATOR_H_

#include <cstddef>
#include <optional>

namespace userimage {

// The server's memory allocator and its tuning. The default build links
// gperftools' tcmalloc (chosen by measurement, docs/benchmarks.md step 4);
// sanitizer builds (--define=allocator=system) keep the C library's
// malloc, which the sanitizers replace.

// The most tcmalloc's per-thread caches hold together. Its default, 32
// MiB, let freed receive slices and buffers pile up in the caches of
// gRPC's threads: at 64 concurrent 1 MiB uploads, 4 MiB cut the peak RSS
// by 15 MiB at no measurable CPU cost (docs/benchmarks.md step 16).
inline constexpr size_t kThreadCacheBytes = 4 << 20;

// Tunes the allocator: with tcmalloc, caps its thread caches at
// kThreadCacheBytes unless the environment sets
// TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES (the operator's choice then
// stands). Returns the cap it set, or nullopt if it set none (the C
// library's malloc, or the environment decides). Call it once, first thing
// in main(); not thread-safe.
std::optional<size_t> TuneAllocator();

// The thread caches' cap in force, or nullopt with the C library's malloc.
// Thread-safe.
std::optional<size_t> ThreadCacheLimit();

}  // namespace userimage

#endif  // SERVER_ALLOCATOR_ALLOCATOR_H_
