#include "server/auth/caller_authorizer.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "openssl/crypto.h"
#include "openssl/sha.h"

namespace userimage {
namespace {

// Non-empty, non-comment lines split into two whitespace-separated fields.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Pairs(
    absl::string_view contents, absl::string_view what) {
  std::vector<std::pair<std::string, std::string>> pairs;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " line ", number, ": expected two fields separated by spaces"));
    }
    pairs.emplace_back(std::string(fields[0]), std::string(fields[1]));
  }
  return pairs;
}

std::array<unsigned char, 32> Sha256(absl::string_view data) {
  std::array<unsigned char, 32> digest;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest.data());
  return digest;
}

}  // namespace

absl::StatusOr<CallerAuthorizer> CallerAuthorizer::Create(
    const Options& options) {
  CallerAuthorizer authorizer;
  authorizer.allow_unauthenticated_ = options.allow_unauthenticated;
  auto tokens = Pairs(options.tokens_file_contents, "the bearer tokens file");
  if (!tokens.ok()) return tokens.status();
  for (auto& [identity, token] : *tokens) {
    if (token.size() < 16) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the bearer token of ", identity,
          " is shorter than 16 characters: use a long random token"));
    }
    authorizer.tokens_.push_back({Sha256(token), identity});
  }
  auto allowed =
      Pairs(options.allowlist_file_contents, "the caller allow-list");
  if (!allowed.ok()) return allowed.status();
  for (auto& [method, identity] : *allowed) {
    authorizer.allowed_[identity].insert(method);
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

}  // namespace userimage
