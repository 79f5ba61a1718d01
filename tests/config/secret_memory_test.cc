#include "server/config/secret_memory.h"

#include <sys/prctl.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

// The VmFlags of the mapping that holds `address`, from /proc/self/smaps.
std::string VmFlagsOf(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const uintptr_t at = reinterpret_cast<uintptr_t>(address);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    const size_t dash = line.find('-');
    const size_t space = line.find(' ');
    uint64_t start = 0, end = 0;
    if (dash != std::string::npos && space != std::string::npos &&
        dash < space && absl::SimpleHexAtoi(line.substr(0, dash), &start) &&
        absl::SimpleHexAtoi(line.substr(dash + 1, space - dash - 1), &end)) {
      inside = start <= at && at < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(SecretStringTest, HoldsTheSecretInPagesLeftOutOfCoreDumps) {
  const SecretString key("sk_live_0123456789abcdef");
  EXPECT_EQ(key.view(), "sk_live_0123456789abcdef");
  ASSERT_TRUE(key.excluded_from_dumps());
  // "dd": do not include in a core dump (MADV_DONTDUMP).
  const std::vector<std::string> flags =
      absl::StrSplit(VmFlagsOf(key.view().data()), ' ', absl::SkipEmpty());
  EXPECT_NE(std::find(flags.begin(), flags.end(), "dd"), flags.end())
      << VmFlagsOf(key.view().data());
}

TEST(SecretStringTest, MovesWithoutCopying) {
  SecretString a("secret-a");
  const char* bytes = a.view().data();
  SecretString b(std::move(a));
  EXPECT_EQ(b.view(), "secret-a");
  EXPECT_EQ(b.view().data(), bytes);
  EXPECT_TRUE(a.view().empty());  // NOLINT(bugprone-use-after-move)
  SecretString c("secret-c");
  c = std::move(b);
  EXPECT_EQ(c.view(), "secret-a");
}

TEST(SecretStringTest, LargerThanAPage) {
  const std::string big(10000, 'k');
  const SecretString key(big);
  EXPECT_EQ(key.view(), big);
}

TEST(WipeTest, OverwritesTheBytesInPlaceAndEmpties) {
  std::string s = "Bearer sk_live_0123456789abcdef0123456789";
  const char* bytes = s.data();
  const size_t size = s.size();
  Wipe(s);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.data(), bytes);  // Same buffer, still owned by `s`,
  for (size_t i = 0; i < size; ++i) EXPECT_EQ(bytes[i], '\0') << i;
}

TEST(UndumpableTest, TheProcessIsNoLongerDumpable) {
  ASSERT_TRUE(MakeProcessUndumpable().ok());
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

}  // namespace
}  // namespace userimage
