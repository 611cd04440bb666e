// Routes of /api/{workspace}/spaces[/{space}] and their permissions.
#pragma once

#include "api/router.hpp"

namespace roster::api {

void RegisterSpaceRoutes(Router& router);

}  // namespace roster::api
