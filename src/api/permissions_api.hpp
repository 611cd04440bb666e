// Routes of the permissions of accounts and groups on spaces and on data sources:
// /api/{workspace}/{spaces|data_sources}/{target}/permissions[/{permission}].
#pragma once

#include "api/router.hpp"
#include "domain/records.hpp"

namespace roster::api {

void RegisterPermissionRoutes(Router& router, domain::PermissionTarget target);

}  // namespace roster::api
