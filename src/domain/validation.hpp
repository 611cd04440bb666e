// Rules for account usernames, plans and paging parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/checked.hpp"

namespace roster::domain {

inline constexpr int64_t kDefaultPerPage = 30;
inline constexpr int64_t kMaxPerPage = 1000;

// Checks an account username: 1 to 64 characters of [a-z0-9_], starting with a letter, and not
// a word that the API uses as a top-level path segment.
Checked<std::string> CheckUsername(std::string_view username);

// Parses a positive decimal integer no larger than `max`; anything else (empty, signs, spaces,
// leading zeros allowed) is rejected.
std::optional<int64_t> ParsePositiveInt(std::string_view text, int64_t max);

}  // namespace roster::domain
