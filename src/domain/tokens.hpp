// Random public identifiers.
#pragma once

#include <string>
#include <string_view>

namespace roster::domain {

inline constexpr size_t kTokenLength = 12;

// Returns a new 12-character token of [a-z0-9] drawn from libsodium's CSPRNG.
std::string NewToken();

// Whether `text` has the shape of a token (12 characters of [a-z0-9]).
bool LooksLikeToken(std::string_view text);

}  // namespace roster::domain
