#include "tools/bench/grpc_upload_load.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/client_callback.h"

namespace clerk::userimage::bench {
namespace {

using v1::UploadProfileImageRequest;

class Driver;

// One UploadProfileImage call: the metadata message, then the prepared
// chunks, the last one with the half-close. Owns itself; deleted when the
// call is done.
class UploadCall final
    : public grpc::ClientWriteReactor<UploadProfileImageRequest> {
 public:
  UploadCall(Driver* driver, absl::Time scheduled, int64_t index);
  void Start(v1::UserImageService::Stub& stub, const GrpcLoadOptions& options);

  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  Driver* const driver_;
  const absl::Time scheduled_;
  std::shared_ptr<const PreparedImage> image_;
  grpc::ClientContext context_;
  UploadProfileImageRequest metadata_;
  v1::User user_;
  size_t next_chunk_ = 0;
};

// Starts the uploads of one run and collects their outcomes. Completion
// callbacks arrive on gRPC's threads.
class Driver {
 public:
  Driver(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
         const LoadPlan& plan, const GrpcLoadOptions& options)
      : plan_(plan), options_(options) {
    for (const auto& channel : channels) {
      stubs_.push_back(v1::UserImageService::NewStub(channel));
    }
  }

  LoadRecords Run() {
    start_ = absl::Now();
    end_ = start_ + plan_.duration;
    switch (plan_.shape) {
      case LoadShape::kClosed:
      case LoadShape::kBurst:
        for (int i = 0; i < plan_.concurrency; ++i) StartCall(start_);
        break;
      case LoadShape::kOpen: {
        const int64_t arrivals = plan_.OpenArrivals();
        for (int64_t i = 0; i < arrivals; ++i) {
          const absl::Time due = start_ + plan_.OpenArrival(i);
          const absl::Duration wait = due - absl::Now();
          if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
          StartCall(due);
        }
        break;
      }
    }
    absl::MutexLock lock(&mu_);
    issuing_ = false;
    mu_.Await(absl::Condition(this, &Driver::Idle));
    return std::move(records_);
  }

  std::shared_ptr<const PreparedImage> SharedImageFor(int64_t index) const {
    return options_.images[index % options_.images.size()];
  }
  const std::string& UserFor(int64_t index) const {
    return options_.users[index % options_.users.size()];
  }
  v1::Priority priority() const { return options_.priority; }

  void Done(absl::Time scheduled, const grpc::Status& status) {
    const absl::Time now = absl::Now();
    bool restart = false;
    {
      absl::MutexLock lock(&mu_);
      records_.calls.push_back({scheduled - start_, now - start_, status.ok()});
      if (!status.ok()) {
        records_.AddError(
            absl::StrCat(status.error_code(), " ", status.error_message()));
      }
      // A closed-loop worker goes on until the run's duration is over.
      restart = plan_.shape == LoadShape::kClosed && now < end_;
      if (!restart) --in_flight_;
    }
    if (restart) StartCall(now, /*counted=*/true);
  }

 private:
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !issuing_ && in_flight_ == 0;
  }

  // `counted`: the call replaces one already counted in flight.
  void StartCall(absl::Time scheduled, bool counted = false) {
    int64_t index;
    {
      absl::MutexLock lock(&mu_);
      index = next_index_++;
      if (!counted) {
        ++in_flight_;
        records_.max_in_flight = std::max(records_.max_in_flight, in_flight_);
      }
    }
    auto* call = new UploadCall(this, scheduled, index);
    call->Start(*stubs_[index % stubs_.size()], options_);
  }

  std::vector<std::unique_ptr<v1::UserImageService::Stub>> stubs_;
  const LoadPlan plan_;
  const GrpcLoadOptions& options_;
  absl::Time start_;
  absl::Time end_;

  absl::Mutex mu_;
  LoadRecords records_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  bool issuing_ ABSL_GUARDED_BY(mu_) = true;
};

UploadCall::UploadCall(Driver* driver, absl::Time scheduled, int64_t index)
    : driver_(driver),
      scheduled_(scheduled),
      image_(driver->SharedImageFor(index)) {
  v1::ImageMetadata& metadata = *metadata_.mutable_metadata();
  metadata.set_user_id(driver->UserFor(index));
  metadata.set_filename(absl::StrCat("bench-", index, ".png"));
  metadata.set_total_size(image_->size);
  metadata.set_sha256(image_->sha256_hex);
  metadata.set_priority(driver->priority());
}

void UploadCall::Start(v1::UserImageService::Stub& stub,
                       const GrpcLoadOptions& options) {
  context_.set_deadline(absl::ToChronoTime(scheduled_ + options.deadline));
  if (!options.bearer_token.empty()) {
    context_.AddMetadata("authorization",
                         absl::StrCat("Bearer ", options.bearer_token));
  }
  stub.async()->UploadProfileImage(&context_, &user_, this);
  StartWrite(&metadata_);
  StartCall();
}

void UploadCall::OnWriteDone(bool ok) {
  // A failed write means the call is over; OnDone follows.
  if (!ok || next_chunk_ >= image_->chunks.size()) return;
  const UploadProfileImageRequest& chunk = image_->chunks[next_chunk_++];
  if (next_chunk_ == image_->chunks.size()) {
    StartWriteLast(&chunk, grpc::WriteOptions());
  } else {
    StartWrite(&chunk);
  }
}

void UploadCall::OnDone(const grpc::Status& status) {
  Driver* driver = driver_;
  const absl::Time scheduled = scheduled_;
  delete this;
  driver->Done(scheduled, status);
}

}  // namespace

PreparedImage PrepareImage(const std::string& bytes, size_t chunk_bytes) {
  PreparedImage image;
  image.size = bytes.size();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         digest);
  image.sha256_hex = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
  for (size_t offset = 0; offset < bytes.size(); offset += chunk_bytes) {
    image.chunks.emplace_back().set_chunk(bytes.substr(offset, chunk_bytes));
  }
  return image;
}

LoadRecords RunGrpcLoad(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const LoadPlan& plan, const GrpcLoadOptions& options) {
  Driver driver(channels, plan, options);
  return driver.Run();
}

LoadRecords RunGrpcLoad(const std::shared_ptr<grpc::Channel>& channel,
                        const LoadPlan& plan, const GrpcLoadOptions& options) {
  return RunGrpcLoad(std::vector<std::shared_ptr<grpc::Channel>>{channel}, plan,
                     options);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OwnChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to the server on port ", port));
  }
  return channel;
}

}  // namespace clerk::userimage::bench
