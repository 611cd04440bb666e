#include "domain/tokens.hpp"

#include <sodium.h>

namespace roster::domain {

std::string NewToken() {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string token(kTokenLength, '0');
  for (char& c : token) c = kAlphabet[randombytes_uniform(kAlphabet.size())];
  return token;
}

bool LooksLikeToken(std::string_view text) {
  if (text.size() != kTokenLength) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace roster::domain
