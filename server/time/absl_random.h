#ifndef SERVER_TIME_ABSL_RANDOM_H_
#define SERVER_TIME_ABSL_RANDOM_H_

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "server/time/clock.h"

namespace userimage {

// RandomSource on absl::BitGen, behind a mutex. Thread-safe.
class AbslRandomSource final : public RandomSource {
 public:
  double Uniform() override {
    absl::MutexLock lock(&mu_);
    return absl::Uniform(bitgen_, 0.0, 1.0);
  }
  uint64_t Bits64() override {
    absl::MutexLock lock(&mu_);
    return absl::Uniform<uint64_t>(bitgen_);
  }

 private:
  absl::Mutex mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_TIME_ABSL_RANDOM_H_
