#ifndef SERVER_RATELIMIT_SENDER_H_
#define SERVER_RATELIMIT_SENDER_H_

#include <string>

namespace userimage {

// How urgently a request should reach Clerk when the quota is contended.
enum class Priority {
  kInteractive,  // someone waits on the answer: served first
  kBulk,         // background work: only on quota interactive ones leave
};

// Who a request to Clerk is for, as the RateGate schedules it. A plain
// value: thread-compatible.
struct Sender {
  std::string caller;  // the authenticated identity; "" when anonymous
  Priority priority = Priority::kInteractive;
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_SENDER_H_
