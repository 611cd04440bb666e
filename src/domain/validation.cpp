#include "domain/validation.hpp"

#include <array>

namespace roster::domain {
namespace {

// Path words that sit next to /api/{account} and so cannot be account usernames.
// "lite" is reserved because /api/{workspace}/memberships/lite would shadow a user of that name.
constexpr std::array<std::string_view, 9> kReservedUsernames = {
    "verify", "healthz", "api", "admin", "organizations", "scim", "me", "workspaces", "lite"};

}  // namespace

Checked<std::string> CheckUsername(std::string_view username) {
  if (username.empty() || username.size() > 64) {
    return Checked<std::string>::Fail("must be 1 to 64 characters");
  }
  if (username[0] < 'a' || username[0] > 'z') {
    return Checked<std::string>::Fail("must start with a lowercase letter");
  }
  for (char c : username) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return Checked<std::string>::Fail("may contain only a-z, 0-9 and _");
  }
  for (std::string_view word : kReservedUsernames) {
    if (username == word) return Checked<std::string>::Fail("is a reserved word");
  }
  return Checked<std::string>::Ok(std::string(username));
}

std::optional<int64_t> ParsePositiveInt(std::string_view text, int64_t max) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > max) return std::nullopt;
  return value;
}

}  // namespace roster::domain
