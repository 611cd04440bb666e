#include "api/request_limits.hpp"

#include <spdlog/spdlog.h>

#include "api/api_error.hpp"
#include "auth/credentials.hpp"
#include "auth/throttle.hpp"

namespace roster::api {

void RejectThrottledClient(ApiServices& services, const ApiRequest& request) {
  if (!services.auth_throttle || request.authorization.empty()) return;
  std::optional<std::chrono::seconds> wait = services.auth_throttle->CheckBlocked(
      request.client_address, request.authorization, auth::Clock::now());
  if (!wait) return;
  throw ApiError(429, "rate_limited",
                 "Too many failed authentication attempts from this address; retry later")
      .AddHeader("Retry-After", std::to_string(wait->count()));
}

void RecordAuthentication(ApiServices& services, const ApiRequest& request, bool succeeded) {
  if (!services.auth_throttle || request.authorization.empty()) return;
  if (succeeded) {
    services.auth_throttle->RecordSuccess(request.client_address, request.authorization,
                                          auth::Clock::now());
    return;
  }
  if (services.auth_throttle->RecordFailure(request.client_address, auth::Clock::now())) {
    spdlog::warn("client {} blocked for {} s after {} failed authentications (request {})",
                 request.client_address, services.auth_throttle->limit().window.count(),
                 services.auth_throttle->limit().max_failures, request.request_id);
  }
}

void EnforceRateLimit(ApiServices& services, const ApiRequest& request) {
  if (!services.rate_limiter || !services.rate_limiter->enabled()) return;
  std::optional<auth::BasicCredentials> credentials =
      auth::ParseBasicAuthorization(request.authorization);
  if (!credentials) return;  // unreachable after a successful authentication
  auth::RateDecision decision =
      services.rate_limiter->Acquire(credentials->token, auth::Clock::now());
  if (decision.allowed) return;
  throw ApiError(429, "rate_limited", "Too many requests for this API token; retry later")
      .AddHeader("Retry-After", std::to_string(decision.retry_after.count()))
      .AddHeader("X-RateLimit-Limit", std::to_string(decision.limit))
      .AddHeader("X-RateLimit-Remaining", std::to_string(decision.remaining));
}

}  // namespace roster::api
