// Routes of /api/{workspace}/memberships[/lite|/{username}]: workspace memberships.
#pragma once

#include "api/router.hpp"

namespace roster::api {

void RegisterMembershipRoutes(Router& router);

}  // namespace roster::api
