// The abuse limits that RequireCaller applies around authentication: the per-address throttle
// of failed authentications before it, and the per-token rate limit right after it.
#pragma once

#include <optional>

#include "api/request_context.hpp"

namespace roster::api {

// Throws 429 rate_limited with Retry-After when the client's address is blocked for the
// credentials the request carries. Requests without credentials are never blocked.
void RejectThrottledClient(ApiServices& services, const ApiRequest& request);

// Feeds the outcome of authenticating a request that carried credentials to the throttle.
void RecordAuthentication(ApiServices& services, const ApiRequest& request, bool succeeded);

// Counts an authenticated request against its token's rate limit; throws 429 rate_limited with
// Retry-After, X-RateLimit-Limit and X-RateLimit-Remaining when over it.
void EnforceRateLimit(ApiServices& services, const ApiRequest& request);

}  // namespace roster::api
