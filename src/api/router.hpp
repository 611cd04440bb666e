// Maps a method and a path pattern such as "/api/:workspace/groups/:group" to a handler, and
// turns every failure into its JSON error response.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/api_error.hpp"
#include "api/request_context.hpp"

namespace roster::api {

// The values of a pattern's ":name" segments, in order.
using PathParams = std::vector<std::string>;

using Handler =
    std::function<ApiResponse(ApiServices&, const ApiRequest&, const PathParams&)>;

class Router {
 public:
  // Registers a route. Routes are tried in registration order, so a literal segment
  // ("/memberships/lite") must be added before a parameter in the same place.
  void Add(std::string method, std::string pattern, Handler handler);

  // Runs the matching handler. Unknown paths get 404 and known paths with another method 405.
  // ApiError becomes its response, StoreError its 409/503/500, and any other exception a 500
  // that is logged with the request id.
  ApiResponse Dispatch(ApiServices& services, const ApiRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // literal text, or ":name" for a parameter
    Handler handler;
  };

  ApiResponse Run(ApiServices& services, const ApiRequest& request) const;

  std::vector<Route> routes_;
};

// Returns the router with every endpoint of the API.
Router BuildApiRouter();

// Renders an ApiError as a response.
ApiResponse ErrorResponse(const ApiError& error);

}  // namespace roster::api
