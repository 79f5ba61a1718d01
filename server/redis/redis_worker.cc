#include "server/redis/redis_worker.h"

#include <openssl/sha.h>
#include <signal.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace userimage {
namespace {

std::string Sha1Hex(absl::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
       digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace

RedisScript::RedisScript(std::string source)
    : source_(std::move(source)), sha_(Sha1Hex(source_)) {}

RedisWorker::RedisWorker(RedisWorkerOptions options, Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      reconnect_delay_(options_.min_reconnect_delay),
      worker_([this] { Loop(); }) {}

RedisWorker::~RedisWorker() { Shutdown(); }

void RedisWorker::Shutdown() {
  std::deque<Task> dropped;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  if (worker_.joinable()) worker_.join();
  // Destroyed here, outside the lock, in case what they hold locks too.
  dropped.clear();
}

void RedisWorker::Post(Task task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  queue_.push_back(std::move(task));
}

void RedisWorker::PostFirst(Task task) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  queue_.push_front(std::move(task));
}

void RedisWorker::Loop() {
  // A peer that closes a TLS connection must not kill the process: writes
  // then fail with EPIPE instead (OpenSSL writes with write(), not send()
  // with MSG_NOSIGNAL).
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  while (true) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(task)();
  }
}

absl::Status RedisWorker::Connected() {
  if (connection_ != nullptr) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  if (now < reconnect_at_) {
    return absl::UnavailableError(
        absl::StrCat(last_error_.message(), " (next attempt in ",
                     absl::FormatDuration(absl::Ceil(reconnect_at_ - now,
                                                     absl::Milliseconds(1))),
                     ")"));
  }
  absl::StatusOr<std::unique_ptr<RedisConnection>> connection =
      RedisConnection::Connect(options_.redis);
  if (!connection.ok()) return Broken(connection.status());
  connection_ = *std::move(connection);
  reconnect_delay_ = options_.min_reconnect_delay;
  return absl::OkStatus();
}

absl::Status RedisWorker::Broken(const absl::Status& why) {
  connection_.reset();
  reconnect_at_ = clock_.Now() + reconnect_delay_;
  reconnect_delay_ =
      std::min(reconnect_delay_ * 2, options_.max_reconnect_delay);
  last_error_ = absl::UnavailableError(why.message());
  return last_error_;
}

absl::StatusOr<RedisReply> RedisWorker::Eval(
    const RedisScript& script, absl::string_view what,
    const std::vector<std::string>& keys,
    const std::vector<std::string>& args) {
  if (absl::Status s = Connected(); !s.ok()) return s;
  std::vector<std::string> command = {"EVALSHA", script.sha(),
                                      absl::StrCat(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  absl::StatusOr<RedisReply> reply = connection_->Command(command);
  if (reply.ok() && reply->type == RedisReply::Type::kError &&
      absl::StartsWith(reply->str, "NOSCRIPT")) {
    command[0] = "EVAL";
    command[1] = script.source();
    reply = connection_->Command(command);
  }
  if (!reply.ok()) return Broken(reply.status());
  if (reply->type == RedisReply::Type::kError) {
    // The connection is sound (the reply was read whole), so it is kept:
    // one script refused (e.g. NOPERM for a command its ACL lacks) does
    // not take the others down with it.
    return absl::UnavailableError(
        absl::StrCat("Redis refused the ", what, " script: ", reply->str));
  }
  return reply;
}

absl::Status RedisWorker::Unexpected(absl::string_view what) {
  return Broken(absl::InternalError(
      absl::StrCat("unexpected reply to the ", what, " script")));
}

}  // namespace userimage
