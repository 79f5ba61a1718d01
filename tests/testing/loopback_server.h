#ifndef TESTS_TESTING_LOOPBACK_SERVER_H_
#define TESTS_TESTING_LOOPBACK_SERVER_H_

#include <memory>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

namespace userimage {

// An in-process gRPC server for `service` on 127.0.0.1, on a port the OS
// chose, without TLS, and a channel to it. For tests; `service` must
// outlive the server.
struct LoopbackServer {
  std::unique_ptr<grpc::Server> server;  // null if it could not start
  std::shared_ptr<grpc::Channel> channel;

  static LoopbackServer Start(grpc::Service& service) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service);
    LoopbackServer result;
    result.server = builder.BuildAndStart();
    if (result.server == nullptr || port == 0) return LoopbackServer{};
    result.channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                         grpc::InsecureChannelCredentials());
    return result;
  }
};

}  // namespace userimage

#endif  // TESTS_TESTING_LOOPBACK_SERVER_H_
