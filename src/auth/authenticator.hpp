// Turns an Authorization header into the caller it authenticates.
#pragma once

#include <optional>
#include <string_view>

#include "storage/store.hpp"

namespace roster::auth {

// Who sent a request: a workspace token acts as an admin of its workspace alone; a member
// token acts as its user in every workspace where the user is an active member.
struct Caller {
  storage::TokenScope scope;
  storage::Account account;  // the workspace or the user
};

class Authenticator {
 public:
  explicit Authenticator(storage::Store& store) : store_(store) {}

  // Returns the caller, or nothing for a missing or malformed header, an unknown or revoked
  // token, or a wrong secret. Unknown tokens cost one hash comparison too, so response time
  // does not tell whether a token exists.
  std::optional<Caller> Authenticate(std::string_view authorization);

 private:
  storage::Store& store_;
};

}  // namespace roster::auth
