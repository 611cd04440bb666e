// Routes of /api/{workspace}/data_sources[/{data_source}] and their permissions.
#pragma once

#include "api/router.hpp"

namespace roster::api {

void RegisterDataSourceRoutes(Router& router);

}  // namespace roster::api
