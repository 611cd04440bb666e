// The HTTP-independent request and response that API handlers read and write, and the checks
// every workspace endpoint runs in order: 401, 404 (membership), 403 (plan, then admin).
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/authenticator.hpp"
#include "auth/throttle.hpp"
#include "domain/hal.hpp"
#include "storage/store.hpp"

namespace roster::api {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded path, without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::string authorization;
  std::string content_type;
  bool has_content_type = false;
  std::string body;
  bool body_too_large = false;  // the body exceeded the limit and was not read
  std::string request_id;
  std::string client_address;  // the peer's IP address, as text

  // Returns the first value of a query parameter, or nothing.
  std::optional<std::string> QueryValue(std::string_view name) const;
};

// Appends the next part of a streamed body to `part` and returns whether more parts follow.
// It runs on the connection's I/O thread between writes and may throw as a handler does.
// The response is then cut off, because its status line has already been sent.
using BodySource = std::function<bool(std::string& part)>;

struct ApiResponse {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is `body` followed by the parts of `stream`, sent with chunked
  // transfer encoding one part at a time, so a long list needs memory for one part only.
  BodySource stream;
};

// The services every handler uses.
struct ApiServices {
  storage::Store& store;
  auth::Authenticator& authenticator;
  // Abuse limits applied by RequireCaller; either may be null (not applied).
  auth::AuthThrottle* auth_throttle = nullptr;
  auth::TokenRateLimiter* rate_limiter = nullptr;
};

// A caller authorized as an admin of a Business-plan workspace.
struct WorkspaceScope {
  storage::Account workspace;
  auth::Caller caller;
  int64_t actor_id;  // the account recorded as creator: the user, or the workspace itself
};

// Throws ApiError 401 when the request is not authenticated, and 429 when its address is
// throttled after failed authentication (checked first) or its token is over the rate limit
// (checked right after authentication).
auth::Caller RequireCaller(ApiServices& services, const ApiRequest& request);

// Runs the checks in order: 401, 404 (unknown workspace or caller not an active member), 403
// (not on the Business plan), 403 (not an admin). Throws the first ApiError that applies.
WorkspaceScope AuthorizeWorkspaceAdmin(ApiServices& services, const ApiRequest& request,
                                       const std::string& workspace);

// Parses the JSON body as an object: 415 for a non-JSON Content-Type, 413 for a body over the
// limit, 400 param_missing for an empty body, 400 bad_request for malformed JSON (a lone
// surrogate escape included) or a top-level value that is not an object.
boost::json::object ParseJsonBody(const ApiRequest& request);

// Returns the object under `key`: 400 param_missing when absent or null, 400 bad_request when
// not an object.
const boost::json::object& RequireWrapper(const boost::json::object& body, std::string_view key);

// Returns the string at `key` of `object` (nothing when absent or null); 400 bad_request when
// it is another type. `path` is the field's JSON path for the error.
std::optional<std::string> OptionalString(const boost::json::object& object,
                                          std::string_view key, const std::string& path);

// Parses page/per_page. Without either, the list is unpaged and contains every item.
struct ListPaging {
  domain::Paging paging;
  domain::PageRequest page;
};
ListPaging ParsePaging(const ApiRequest& request);

// A 200 response with a JSON body.
ApiResponse JsonResponse(const boost::json::object& body);
// A 200 response whose body is JSON text already written.
ApiResponse JsonResponse(std::string body);

}  // namespace roster::api
