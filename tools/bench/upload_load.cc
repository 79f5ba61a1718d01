#include "tools/bench/upload_load.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "client/user_image_client.h"

namespace clerk::userimage::bench {

std::string MakeImage(size_t size, int index) {
  std::string image("\x89PNG\r\n\x1A\n", 8);
  std::mt19937 random(static_cast<unsigned>(index) + 1);
  while (image.size() < size) image.push_back(static_cast<char>(random()));
  return image;
}

LoadResult RunUploads(const std::shared_ptr<grpc::Channel>& channel,
                      const LoadOptions& options) {
  const int n = options.uploads;
  std::vector<client::UploadOptions> calls(n);
  std::vector<std::string> images(n);
  for (int i = 0; i < n; ++i) {
    calls[i].user_id = options.users[i % options.users.size()];
    calls[i].filename = absl::StrCat("bench-", i, ".png");
    calls[i].timeout = options.deadline;
    images[i] = MakeImage(options.image_bytes, i);
  }

  client::UserImageClient client(channel);
  LoadResult result;
  result.outcomes.resize(n);
  absl::BlockingCounter parked(n);
  absl::Notification release;
  absl::Notification all_done;
  std::atomic<int> finished{0};
  absl::Time released;  // Written before `release` is notified.

  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      parked.DecrementCount();
      release.WaitForNotification();
      UploadOutcome& outcome = result.outcomes[i];
      outcome.started = absl::Now() - released;
      outcome.code =
          client.UploadProfileImage(calls[i], images[i]).status().code();
      outcome.finished = absl::Now() - released;
      if (finished.fetch_add(1) + 1 == n) all_done.Notify();
    });
  }
  if (n == 0) all_done.Notify();
  parked.Wait();
  released = absl::Now();
  release.Notify();

  while (!all_done.WaitForNotificationWithTimeout(options.progress_interval)) {
    if (options.progress) {
      options.progress(absl::Now() - released, finished.load());
    }
  }
  for (std::thread& t : threads) t.join();

  result.released = released;
  result.wall = absl::ZeroDuration();
  for (const UploadOutcome& o : result.outcomes) {
    result.wall = std::max(result.wall, o.finished);
  }
  return result;
}

}  // namespace clerk::userimage::bench
