#ifndef SERVER_SERVICE_CALLER_IDENTITY_H_
#define SERVER_SERVICE_CALLER_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "server/auth/caller_authorizer.h"

namespace userimage {

// What the call presents: the verified client certificate's identities
// (subject alternative names, else the common name) when the connection is
// mutual TLS, and its `authorization` metadata. Thread-safe.
CallerCredentials CredentialsOf(const grpc::ServerContextBase& context);

// Authorizes the call for `method` with `authorizer`; a refusal is logged
// as `caller_rejected` with the caller's address (never the token).
absl::StatusOr<std::string> AuthorizeCall(
    const CallerAuthorizer& authorizer, const grpc::ServerContextBase& context,
    absl::string_view method);

}  // namespace userimage

#endif  // SERVER_SERVICE_CALLER_IDENTITY_H_
