#include "server/service/caller_identity.h"

#include "absl/strings/str_join.h"

namespace userimage {

std::string CallerIdentity(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  std::vector<std::string> names;
  for (const grpc::string_ref& name : auth->GetPeerIdentity()) {
    names.emplace_back(name.data(), name.size());
  }
  return absl::StrJoin(names, ",");
}

}  // namespace userimage
