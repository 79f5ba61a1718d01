#include "server/service/reflection_v1.h"

#include <string>
#include <utility>
#include <vector>

#include "grpcpp/generic/generic_stub.h"

namespace userimage {
namespace {

using ::grpc::reflection::v1::ServerReflectionRequest;
using ::grpc::reflection::v1::ServerReflectionResponse;

constexpr char kV1alphaMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

grpc::ByteBuffer ToBytes(const google::protobuf::Message& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

bool FromBytes(const grpc::ByteBuffer& bytes,
               google::protobuf::Message& message) {
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) return false;
  std::string all;
  for (const grpc::Slice& s : slices) {
    all.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return message.ParseFromString(all);
}

// The relayed call: each step waits for its completion on `cq_`.
class Relay {
 public:
  Relay(std::shared_ptr<grpc::Channel> channel,
        const grpc::ServerContext& server)
      : stub_(std::move(channel)) {
    context_.set_deadline(server.deadline());
    call_ = stub_.PrepareCall(&context_, kV1alphaMethod, &cq_);
    call_->StartCall(this);
    started_ = Wait();
  }
  ~Relay() {
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  // Sends `request` and receives its answer.
  bool Exchange(const ServerReflectionRequest& request,
                ServerReflectionResponse& response) {
    if (!started_) return false;
    call_->Write(ToBytes(request), this);
    if (!Wait()) return false;
    grpc::ByteBuffer answer;
    call_->Read(&answer, this);
    return Wait() && FromBytes(answer, response);
  }

  // Ends the call: cancelled unless every exchange succeeded.
  grpc::Status Finish(bool cancel) {
    if (cancel) context_.TryCancel();
    if (started_ && !cancel) {
      call_->WritesDone(this);
      Wait();
    }
    grpc::Status status;
    call_->Finish(&status, this);
    Wait();
    return status;
  }

 private:
  bool Wait() {
    void* tag;
    bool ok = false;
    return cq_.Next(&tag, &ok) && ok;
  }

  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  bool started_ = false;
};

}  // namespace

void ReflectionV1Service::SetChannel(std::shared_ptr<grpc::Channel> channel) {
  absl::MutexLock lock(&mu_);
  channel_ = std::move(channel);
}

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>*
        stream) {
  std::shared_ptr<grpc::Channel> channel;
  {
    absl::MutexLock lock(&mu_);
    channel = channel_;
  }
  if (channel == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "server reflection is not ready yet; try again");
  }
  Relay relay(std::move(channel), *context);
  ServerReflectionRequest request;
  ServerReflectionResponse response;
  bool failed = false;
  while (!failed && stream->Read(&request)) {
    failed = !relay.Exchange(request, response) || !stream->Write(response);
  }
  const grpc::Status status = relay.Finish(failed);
  return failed && status.ok()
             ? grpc::Status(grpc::StatusCode::CANCELLED,
                            "the reflection stream was cut off")
             : status;
}

}  // namespace userimage
