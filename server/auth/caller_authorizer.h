#ifndef SERVER_AUTH_CALLER_AUTHORIZER_H_
#define SERVER_AUTH_CALLER_AUTHORIZER_H_

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace userimage {

// What a call presents to prove who is calling.
struct CallerCredentials {
  // Identities of an authenticated TLS peer (client certificate SANs or
  // subject common name); empty when the connection is not mutual TLS.
  std::vector<std::string> certificate_identities;
  // Values of the call's `authorization` metadata.
  std::vector<std::string> authorization;
};

// Decides who may call which RPC:
// - a caller proves an identity with a client certificate verified by the
//   server's TLS stack (mutual TLS), or with a bearer token from the
//   configured token file;
// - without either, the call is UNAUTHENTICATED, unless unauthenticated
//   calls are explicitly allowed (development on loopback);
// - with an allow-list, an identity may call only the RPCs listed for it,
//   else PERMISSION_DENIED.
// Tokens are kept only as SHA-256 digests and compared in constant time.
// Immutable after Create(); thread-safe.
class CallerAuthorizer {
 public:
  struct Options {
    // Lines "<identity> <token>"; '#' starts a comment. Empty: no tokens.
    std::string tokens_file_contents;
    // Lines "<rpc method or *> <identity>"; empty: any authenticated
    // caller may call every RPC. A method is named short
    // ("UploadProfileImage") or in full, as grpcurl prints it
    // ("clerk.userimage.v1.UserImageService/UploadProfileImage", with or
    // without a leading '/'); a line naming a method `service` does not
    // have fails Create(), saying which line.
    std::string allowlist_file_contents;
    // The RPCs the allow-list may name: the service's full name and its
    // methods' short names.
    struct Service {
      std::string full_name;
      std::vector<std::string> methods;
      // The RPCs of `service`, read from its descriptor.
      static Service Of(const google::protobuf::ServiceDescriptor& service);
    } service;
    bool allow_unauthenticated = false;
  };

  static absl::StatusOr<CallerAuthorizer> Create(const Options& options);

  // Returns the caller's identity ("" for an allowed anonymous caller), or
  // UNAUTHENTICATED / PERMISSION_DENIED with a message that says what is
  // missing (never echoing a token). `method` is the RPC's short name,
  // e.g. "UploadProfileImage".
  absl::StatusOr<std::string> Authorize(const CallerCredentials& credentials,
                                        absl::string_view method) const;

  bool has_tokens() const { return !tokens_.empty(); }
  // Every identity the tokens file and the allow-list name.
  std::vector<std::string> identities() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Token {
    Digest digest;
    std::string identity;
  };

  CallerAuthorizer() = default;
  // The identity whose token this is, checking every token in constant time.
  std::optional<std::string> MatchToken(absl::string_view token) const;

  std::vector<Token> tokens_;
  // Identity -> methods it may call ("*": all). Empty: no allow-list.
  std::map<std::string, std::set<std::string>> allowed_;
  bool allow_unauthenticated_ = false;
};

}  // namespace userimage

#endif  // SERVER_AUTH_CALLER_AUTHORIZER_H_
