// API errors: the JSON body {"id", "message", "field"?} and its HTTP status.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "storage/database.hpp"

namespace roster::api {

class ApiError : public std::exception {
 public:
  ApiError(unsigned status, std::string id, std::string message, std::string field = {})
      : status_(status), id_(std::move(id)), message_(std::move(message)),
        field_(std::move(field)) {}

  unsigned status() const { return status_; }
  const std::string& id() const { return id_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }  // JSON path of the bad field, or empty
  const char* what() const noexcept override { return message_.c_str(); }

  // Response headers that the error carries, such as Retry-After on a 429.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  ApiError& AddHeader(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }

  // Renders the response body.
  std::string Body() const;

 private:
  unsigned status_;
  std::string id_;
  std::string message_;
  std::string field_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// The message of every "not yours or does not exist" response about a workspace.
inline constexpr std::string_view kWorkspaceNotFoundMessage = "Membership not found for Workspace";

ApiError Unauthorized();
ApiError WorkspaceNotFound();
// `what` names the object, e.g. "Group": the message is "Group not found".
ApiError NotFound(std::string_view what);
ApiError Forbidden(std::string message);
ApiError BadRequest(std::string message, std::string field = {});
ApiError ParamMissing(std::string field);
ApiError Conflict(std::string message, std::string field = {});
ApiError PayloadTooLarge();
ApiError UnsupportedMediaType();
ApiError InternalError(std::string_view request_id);
ApiError ServiceUnavailable();

// Maps a storage failure to its API error (409, 503 or 500).
ApiError FromStoreError(const storage::StoreError& error, std::string_view request_id);

}  // namespace roster::api
