#include "server/log/async_line_writer.h"

#include <errno.h>
#include <unistd.h>

#include <utility>

namespace userimage {

AsyncLineWriter::AsyncLineWriter(int fd, size_t max_queued)
    : fd_(fd), max_queued_(max_queued), thread_([this] { Run(); }) {}

AsyncLineWriter::~AsyncLineWriter() { Stop(); }

bool AsyncLineWriter::Write(std::string line) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && queue_.size() < max_queued_) {
      queue_.push_back(std::move(line));
      return true;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void AsyncLineWriter::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void AsyncLineWriter::Run() {
  while (true) {
    std::deque<std::string> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // Stopping, and everything is written.
      batch.swap(queue_);
    }
    for (const std::string& line : batch) {
      // One write(2) per line, so lines from other writers never interleave
      // inside one; a short write is finished, an error drops the line.
      size_t written = 0;
      while (written < line.size()) {
        const ssize_t n =
            write(fd_, line.data() + written, line.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += static_cast<size_t>(n);
      }
    }
  }
}

}  // namespace userimage
