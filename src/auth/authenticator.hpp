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

// A caller with the workspace account its request names and, for a member token, the
// caller's membership there.
struct WorkspaceAccess {
  Caller caller;
  std::optional<storage::Account> workspace;
  std::optional<storage::WorkspaceMember> membership;
};

class Authenticator {
 public:
  explicit Authenticator(storage::Store& store) : store_(store) {}

  // Returns the caller, or nothing for a missing or malformed header, an unknown or revoked
  // token, or a wrong secret. Unknown tokens cost one hash comparison too, so the comparison
  // does not tell whether a token exists.
  // NOTE: the database lookup still does. With SQLite on a 2-core machine, over loopback, a
  // wrong secret for an existing token took about 7 us longer than one for an unknown token
  // (median of 1,000 interleaved requests each, timed as in
  // tests/hardening/test_auth_abuse.py). Tokens are identifiers, not credentials, so this
  // reveals no secret.
  std::optional<Caller> Authenticate(std::string_view authorization);

  // Authenticate, plus the workspace account named `workspace` and the caller's membership
  // there, in one database read. The account is looked up only after the secret matched.
  std::optional<WorkspaceAccess> AuthenticateForWorkspace(std::string_view authorization,
                                                          const std::string& workspace);

 private:
  storage::Store& store_;
};

}  // namespace roster::auth
