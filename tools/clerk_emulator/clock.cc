#include "tools/clerk_emulator/clock.h"

#include "absl/time/clock.h"

namespace clerk::emulator {
namespace {

class WallClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock& SystemClock() {
  static const WallClock* const clock = new WallClock();
  return *clock;
}

}  // namespace clerk::emulator
