// Routes of /healthz, /api/verify and /api/{account}.
#pragma once

#include "api/router.hpp"

namespace roster::api {

void RegisterAccountRoutes(Router& router);

}  // namespace roster::api
