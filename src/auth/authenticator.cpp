#include "auth/authenticator.hpp"

#include "auth/credentials.hpp"
#include "domain/tokens.hpp"

namespace roster::auth {

namespace {

// The hash of no real secret: compared against when the token is unknown, so that an unknown
// token costs the same hash comparison as a known one.
const std::string& DecoyHash() {
  static const std::string kDecoyHash = HashSecret("roster decoy secret");
  return kDecoyHash;
}

}  // namespace

std::optional<Caller> Authenticator::Authenticate(std::string_view authorization) {
  const std::string& kDecoyHash = DecoyHash();
  std::optional<BasicCredentials> credentials = ParseBasicAuthorization(authorization);
  if (!credentials) return std::nullopt;
  std::optional<storage::ApiTokenRecord> record;
  if (domain::LooksLikeToken(credentials->token)) record = store_.FindApiToken(credentials->token);
  bool matches = SecretMatches(credentials->secret, record ? record->secret_hash : kDecoyHash);
  if (!record || !matches || record->revoked) return std::nullopt;
  return Caller{record->scope, record->owner};
}

std::optional<WorkspaceAccess> Authenticator::AuthenticateForWorkspace(
    std::string_view authorization, const std::string& workspace) {
  std::optional<BasicCredentials> credentials = ParseBasicAuthorization(authorization);
  if (!credentials) return std::nullopt;
  storage::AccessRecord access;
  if (domain::LooksLikeToken(credentials->token)) {
    access = store_.FindAccess(credentials->token, workspace,
                               [&](const storage::ApiTokenRecord& record) {
                                 return SecretMatches(credentials->secret, record.secret_hash) &&
                                        !record.revoked;
                               });
  }
  if (!access.token) SecretMatches(credentials->secret, DecoyHash());
  if (!access.accepted) return std::nullopt;
  return WorkspaceAccess{Caller{access.token->scope, access.token->owner},
                         std::move(access.workspace), std::move(access.membership)};
}

}  // namespace roster::auth
