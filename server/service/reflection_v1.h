#ifndef SERVER_SERVICE_REFLECTION_V1_H_
#define SERVER_SERVICE_REFLECTION_V1_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace userimage {

// grpc.reflection.v1.ServerReflection, for tools that speak only v1 (newer
// grpcui, Postman, Kreya). gRPC 1.51 implements only
// grpc.reflection.v1alpha; the two protocols' messages are the same on the
// wire, so each v1 stream is relayed, message for message and byte for
// byte, to gRPC's own v1alpha service in this server over its in-process
// channel: one implementation behind both names.
//
// Each stream runs on one of gRPC's sync-server threads, blocked on the
// relayed call's own completion queue (never on a thread of the service's).
// Thread-safe. Until SetChannel() (once the server has started), streams
// fail with UNAVAILABLE.
class ReflectionV1Service final
    : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // The channel to this server's v1alpha reflection (its InProcessChannel).
  void SetChannel(std::shared_ptr<grpc::Channel> channel);

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>*
          stream) override;

 private:
  absl::Mutex mu_;
  std::shared_ptr<grpc::Channel> channel_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_SERVICE_REFLECTION_V1_H_
