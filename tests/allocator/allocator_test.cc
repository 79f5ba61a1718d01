#include "server/allocator/allocator.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace userimage {
namespace {

// The test binary links the same allocator as the server: tcmalloc in the
// default build, the C library's malloc under the sanitizers.
TEST(AllocatorTest, TuningCapsTcmallocsThreadCaches) {
  ASSERT_EQ(std::getenv("TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES"), nullptr);
  const std::optional<size_t> before = ThreadCacheLimit();
  const std::optional<size_t> set = TuneAllocator();
  if (!before.has_value()) {  // The C library's malloc: nothing to tune.
    EXPECT_FALSE(set.has_value());
    EXPECT_FALSE(ThreadCacheLimit().has_value());
    return;
  }
  EXPECT_NE(*before, kThreadCacheBytes);  // tcmalloc's own default.
  EXPECT_EQ(set, kThreadCacheBytes);
  EXPECT_EQ(ThreadCacheLimit(), kThreadCacheBytes);
}

TEST(AllocatorTest, TheEnvironmentsChoiceStands) {
  const std::optional<size_t> before = ThreadCacheLimit();
  ASSERT_EQ(setenv("TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES", "1234567", 1), 0);
  EXPECT_FALSE(TuneAllocator().has_value());
  EXPECT_EQ(ThreadCacheLimit(), before);  // Left as it was.
  unsetenv("TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES");
}

}  // namespace
}  // namespace userimage
