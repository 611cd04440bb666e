#include "auth/authenticator.hpp"

#include "auth/credentials.hpp"
#include "domain/tokens.hpp"

namespace roster::auth {

std::optional<Caller> Authenticator::Authenticate(std::string_view authorization) {
  // The hash of no real secret: compared against when the token is unknown.
  static const std::string kDecoyHash = HashSecret("roster decoy secret");
  std::optional<BasicCredentials> credentials = ParseBasicAuthorization(authorization);
  if (!credentials) return std::nullopt;
  std::optional<storage::ApiTokenRecord> record;
  if (domain::LooksLikeToken(credentials->token)) record = store_.FindApiToken(credentials->token);
  bool matches = SecretMatches(credentials->secret, record ? record->secret_hash : kDecoyHash);
  if (!record || !matches || record->revoked) return std::nullopt;
  return Caller{record->scope, record->owner};
}

}  // namespace roster::auth
