#include "server/auth/caller_authorizer.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "openssl/crypto.h"
#include "openssl/sha.h"
#include "server/config/config_lines.h"

namespace userimage {
namespace {

// The short name of the method `name` stands for in the allow-list ("*"
// for every method), or why it names none of `service`'s.
absl::StatusOr<std::string> AllowedMethod(
    absl::string_view name, const CallerAuthorizer::Options::Service& service,
    int line) {
  if (name == "*") return std::string(name);
  absl::string_view method = name;
  absl::ConsumePrefix(&method, "/");
  if (absl::ConsumePrefix(&method, service.full_name) &&
      !absl::ConsumePrefix(&method, "/")) {
    method = name;  // Another service whose name starts the same.
  }
  for (const std::string& known : service.methods) {
    if (method == known) return known;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the caller allow-list line ", line, ": \"", name,
                   "\" is not a method of ", service.full_name, " (",
                   absl::StrJoin(service.methods, ", "),
                   ", short or as <service>/<method>) nor *"));
}

std::array<unsigned char, 32> Sha256(absl::string_view data) {
  std::array<unsigned char, 32> digest;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest.data());
  return digest;
}

}  // namespace

CallerAuthorizer::Options::Service CallerAuthorizer::Options::Service::Of(
    const google::protobuf::ServiceDescriptor& service) {
  Service rpcs{.full_name = service.full_name()};
  for (int i = 0; i < service.method_count(); ++i) {
    rpcs.methods.push_back(service.method(i)->name());
  }
  return rpcs;
}

absl::StatusOr<CallerAuthorizer> CallerAuthorizer::Create(
    const Options& options) {
  CallerAuthorizer authorizer;
  authorizer.allow_unauthenticated_ = options.allow_unauthenticated;
  auto tokens =
      ReadTwoFieldLines(options.tokens_file_contents, "the bearer tokens file",
                        "\"<identity> <token>\"");
  if (!tokens.ok()) return tokens.status();
  for (auto& [number, identity, token] : *tokens) {
    if (token.size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the bearer token of ", identity,
          " is shorter than 16 characters: use a long random token"));
    }
    authorizer.tokens_.push_back({Sha256(token), identity});
  }
  auto allowed = ReadTwoFieldLines(options.allowlist_file_contents,
                                   "the caller allow-list",
                                   "\"<method or *> <identity>\"");
  if (!allowed.ok()) return allowed.status();
  for (auto& [number, name, identity] : *allowed) {
    absl::StatusOr<std::string> method =
        AllowedMethod(name, options.service, number);
    if (!method.ok()) return method.status();
    authorizer.allowed_[identity].insert(*std::move(method));
  }
  return authorizer;
}

std::optional<std::string> CallerAuthorizer::MatchToken(
    absl::string_view token) const {
  const Digest digest = Sha256(token);
  std::optional<std::string> match;
  for (const Token& t : tokens_) {  // No early exit: constant time.
    if (CRYPTO_memcmp(t.digest.data(), digest.data(), digest.size()) == 0) {
      match = t.identity;
    }
  }
  return match;
}

absl::StatusOr<std::string> CallerAuthorizer::Authorize(
    const CallerCredentials& credentials, absl::string_view method) const {
  std::vector<std::string> identities = credentials.certificate_identities;
  for (const std::string& value : credentials.authorization) {
    absl::string_view token = value;
    if (!absl::ConsumePrefix(&token, "Bearer ") || token.empty()) {
      return absl::UnauthenticatedError(
          "the authorization metadata must be \"Bearer <token>\"");
    }
    std::optional<std::string> identity = MatchToken(token);
    if (!identity) {
      return absl::UnauthenticatedError("the bearer token is not valid");
    }
    identities.push_back(*std::move(identity));
  }
  if (identities.empty()) {
    if (allow_unauthenticated_) return std::string();
    return absl::UnauthenticatedError(
        "present a client certificate from the configured CA, or a bearer "
        "token in the authorization metadata");
  }
  if (allowed_.empty()) return identities.front();
  for (const std::string& identity : identities) {
    auto it = allowed_.find(identity);
    if (it != allowed_.end() && (it->second.count("*") > 0 ||
                                 it->second.count(std::string(method)) > 0)) {
      return identity;
    }
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "caller ", identities.front(), " may not call ", method,
      "; ask the service's operators to add it to the allow-list"));
}

std::vector<std::string> CallerAuthorizer::identities() const {
  std::vector<std::string> names;
  for (const Token& token : tokens_) names.push_back(token.identity);
  for (const auto& [identity, methods] : allowed_) names.push_back(identity);
  return names;
}

}  // namespace userimage
