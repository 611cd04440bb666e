// Routes of /api/{workspace}/groups and /api/{workspace}/groups/{group}.
#pragma once

#include "api/router.hpp"

namespace roster::api {

void RegisterGroupRoutes(Router& router);

}  // namespace roster::api
