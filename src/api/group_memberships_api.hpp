// Routes of /api/{workspace}/groups/{group}/memberships[/{membership}].
#pragma once

#include "api/router.hpp"

namespace roster::api {

void RegisterGroupMembershipRoutes(Router& router);

}  // namespace roster::api
