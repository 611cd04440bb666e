// API secrets: generation, hashing and constant-time comparison, and HTTP Basic parsing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace roster::auth {

struct BasicCredentials {
  std::string token;
  std::string secret;
};

// Parses an Authorization header value "Basic base64(token:secret)". Returns nothing for any
// other scheme, invalid base64 or a missing colon.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header);

// Returns a new secret: 32 random bytes from libsodium, as unpadded URL-safe base64.
std::string NewSecret();

// Returns the hex BLAKE2b-256 hash of a secret. Secrets are 256-bit random values, so a fast
// hash suffices: no dictionary can guess one.
std::string HashSecret(std::string_view secret);

// Compares the secret's hash with a stored hash in time that does not depend on where they
// differ.
bool SecretMatches(std::string_view secret, std::string_view stored_hash);

// Initializes libsodium; call once before any other function here. Throws on failure.
void InitializeCrypto();

}  // namespace roster::auth
