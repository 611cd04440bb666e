#include "auth/credentials.hpp"

#include <sodium.h>

#include <cctype>
#include <stdexcept>
#include <vector>

namespace roster::auth {

void InitializeCrypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium initialization failed");
}

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  std::string_view encoded = header.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  if (encoded.empty() || encoded.size() > 1024) return std::nullopt;
  std::vector<unsigned char> decoded(encoded.size());
  size_t decoded_size = 0;
  const char* end = nullptr;
  int rc = sodium_base642bin(decoded.data(), decoded.size(), encoded.data(), encoded.size(),
                             nullptr, &decoded_size, &end, sodium_base64_VARIANT_ORIGINAL);
  if (rc != 0 || end != encoded.data() + encoded.size()) return std::nullopt;
  std::string text(reinterpret_cast<const char*>(decoded.data()), decoded_size);
  size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{text.substr(0, colon), text.substr(colon + 1)};
}

std::string NewSecret() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char encoded[sodium_base64_ENCODED_LEN(sizeof bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, bytes, sizeof bytes,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(bytes, sizeof bytes);
  return encoded;
}

std::string HashSecret(std::string_view secret) {
  unsigned char hash[crypto_generichash_BYTES];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

bool SecretMatches(std::string_view secret, std::string_view stored_hash) {
  std::string actual = HashSecret(secret);
  if (actual.size() != stored_hash.size()) return false;
  return sodium_memcmp(actual.data(), stored_hash.data(), actual.size()) == 0;
}

}  // namespace roster::auth
