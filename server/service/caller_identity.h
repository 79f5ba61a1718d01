#ifndef SERVER_SERVICE_CALLER_IDENTITY_H_
#define SERVER_SERVICE_CALLER_IDENTITY_H_

#include <string>

#include "grpcpp/server_context.h"

namespace userimage {

// Who is calling, for logs: the authenticated peer identity (e.g. the
// client certificate's subject alternative name or common name) when the
// connection is authenticated, else empty. Thread-safe.
std::string CallerIdentity(const grpc::ServerContextBase& context);

}  // namespace userimage

#endif  // SERVER_SERVICE_CALLER_IDENTITY_H_
