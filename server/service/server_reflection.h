#ifndef SERVER_SERVICE_SERVER_REFLECTION_H_
#define SERVER_SERVICE_SERVER_REFLECTION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace userimage {

// What server reflection answers, from a descriptor pool and the names of
// the services a server serves: the answers gRPC 1.51's own reflection
// gives (a file together with every file it imports, transitively; an
// error response with NOT_FOUND or UNIMPLEMENTED for what it cannot
// answer). The two protocol versions' messages are the same, field for
// field, so Answer() takes either.
//
// Immutable once built: thread-safe. The pool must outlive it.
class ReflectionIndex {
 public:
  ReflectionIndex(const google::protobuf::DescriptorPool* pool,
                  std::vector<std::string> service_names);

  // Fills `response` (cleared first) for `request`. Instantiated for the
  // v1 and the v1alpha messages.
  template <typename Request, typename Response>
  void Answer(const Request& request, Response* response) const;

 private:
  // The file defining `file` and every file it imports, once each.
  template <typename Response>
  void AddFile(const google::protobuf::FileDescriptor* file,
               Response* response) const;
  template <typename Request, typename Response>
  absl::Status Fill(const Request& request, Response* response) const;

  const google::protobuf::DescriptorPool* pool_;
  std::vector<std::string> service_names_;
};

// grpc.reflection.v1 and grpc.reflection.v1alpha over gRPC's callback API:
// each stream is a reactor that answers every request as it is read, on
// gRPC's callback threads, without blocking (descriptor look-ups only). It
// replaces libgrpc++_reflection's sync service, which keeps a thread of its
// own waiting for calls.
//
// Register both services with the server builder; the index must outlive
// the server. Thread-safe.
class ReflectionV1Service final
    : public grpc::reflection::v1::ServerReflection::CallbackService {
 public:
  explicit ReflectionV1Service(const ReflectionIndex& index) : index_(index) {}
  grpc::ServerBidiReactor<grpc::reflection::v1::ServerReflectionRequest,
                          grpc::reflection::v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  const ReflectionIndex& index_;
};

class ReflectionV1alphaService final
    : public grpc::reflection::v1alpha::ServerReflection::CallbackService {
 public:
  explicit ReflectionV1alphaService(const ReflectionIndex& index)
      : index_(index) {}
  grpc::ServerBidiReactor<grpc::reflection::v1alpha::ServerReflectionRequest,
                          grpc::reflection::v1alpha::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override;

 private:
  const ReflectionIndex& index_;
};

// Both versions over one index, for one server. Build it before the
// server, register it with RegisterWith(), and keep it until the server is
// gone. Thread-safe.
class ServerReflection {
 public:
  ServerReflection(const google::protobuf::DescriptorPool* pool,
                   std::vector<std::string> service_names)
      : index_(pool, std::move(service_names)) {}
  void RegisterWith(grpc::ServerBuilder& builder) {
    builder.RegisterService(&v1_);
    builder.RegisterService(&v1alpha_);
  }

 private:
  ReflectionIndex index_;
  ReflectionV1Service v1_{index_};
  ReflectionV1alphaService v1alpha_{index_};
};

}  // namespace userimage

#endif  // SERVER_SERVICE_SERVER_REFLECTION_H_
