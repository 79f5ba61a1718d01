#include "server/service/caller_identity.h"

#include "server/log/json_log.h"

namespace userimage {

CallerCredentials CredentialsOf(const grpc::ServerContextBase& context) {
  CallerCredentials credentials;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    for (const grpc::string_ref& name : auth->GetPeerIdentity()) {
      credentials.certificate_identities.emplace_back(name.data(), name.size());
    }
  }
  auto [begin, end] = context.client_metadata().equal_range("authorization");
  for (auto it = begin; it != end; ++it) {
    credentials.authorization.emplace_back(it->second.data(),
                                           it->second.size());
  }
  return credentials;
}

absl::StatusOr<std::string> AuthorizeCall(
    const CallerAuthorizer& authorizer, const grpc::ServerContextBase& context,
    absl::string_view method) {
  absl::StatusOr<std::string> identity =
      authorizer.Authorize(CredentialsOf(context), method);
  if (!identity.ok()) {
    LogEvent(LogLevel::kWarning, "caller_rejected",
             {{"peer", LogString(context.peer())},
              {"method", LogString(method)},
              {"code",
               LogString(absl::StatusCodeToString(identity.status().code()))},
              {"message", LogString(identity.status().message())}});
  }
  return identity;
}

}  // namespace userimage
