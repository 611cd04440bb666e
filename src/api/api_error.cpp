#include "api/api_error.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace roster::api {

std::string ApiError::Body() const {
  boost::json::object body{{"id", id_}, {"message", message_}};
  if (!field_.empty()) body["field"] = field_;
  return boost::json::serialize(body);
}

ApiError Unauthorized() {
  return ApiError(401, "unauthorized", "Authentication with a valid API token and secret is required");
}

ApiError WorkspaceNotFound() {
  return ApiError(404, "not_found", std::string(kWorkspaceNotFoundMessage));
}

ApiError NotFound(std::string_view what) {
  return ApiError(404, "not_found", fmt::format("{} not found", what));
}

ApiError Forbidden(std::string message) { return ApiError(403, "forbidden", std::move(message)); }

ApiError BadRequest(std::string message, std::string field) {
  return ApiError(400, "bad_request", std::move(message), std::move(field));
}

ApiError ParamMissing(std::string field) {
  std::string message = fmt::format("{} is missing", field);
  return ApiError(400, "param_missing", std::move(message), std::move(field));
}

ApiError Conflict(std::string message, std::string field) {
  return ApiError(409, "conflict", std::move(message), std::move(field));
}

ApiError PayloadTooLarge() {
  return ApiError(413, "payload_too_large", "The request body is larger than the server accepts");
}

ApiError UnsupportedMediaType() {
  return ApiError(415, "unsupported_media_type",
                  "The request body must be JSON (Content-Type: application/json)");
}

ApiError InternalError(std::string_view request_id) {
  return ApiError(500, "internal_server_error",
                  fmt::format("Internal server error (request id {})", request_id));
}

ApiError ServiceUnavailable() {
  return ApiError(503, "service_unavailable",
                  "The service is temporarily unavailable; retry later");
}

ApiError FromStoreError(const storage::StoreError& error, std::string_view request_id) {
  switch (error.code()) {
    case storage::StoreErrorCode::kConflict:
      return Conflict("The request conflicts with existing data");
    case storage::StoreErrorCode::kUnavailable:
    case storage::StoreErrorCode::kRetry:
      return ServiceUnavailable();
    case storage::StoreErrorCode::kInternal:
      break;
  }
  return InternalError(request_id);
}

}  // namespace roster::api
