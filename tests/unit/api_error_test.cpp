#include "api/api_error.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace roster::api {
namespace {

boost::json::object BodyOf(const ApiError& error) {
  return boost::json::parse(error.Body()).as_object();
}

TEST(ApiErrorTest, BodyNamesFieldWhenGiven) {
  auto body = BodyOf(BadRequest("user_group.name must be a string", "user_group.name"));
  EXPECT_EQ(body.at("id"), "bad_request");
  EXPECT_EQ(body.at("field"), "user_group.name");
  EXPECT_EQ(body.at("message"), "user_group.name must be a string");
}

TEST(ApiErrorTest, BodyOmitsFieldWhenNone) {
  auto body = BodyOf(Unauthorized());
  EXPECT_EQ(body.at("id"), "unauthorized");
  EXPECT_FALSE(body.contains("field"));
}

TEST(ApiErrorTest, ParamMissingNamesThePath) {
  ApiError error = ParamMissing("user_group.name");
  EXPECT_EQ(error.status(), 400u);
  EXPECT_EQ(BodyOf(error).at("id"), "param_missing");
  EXPECT_EQ(BodyOf(error).at("field"), "user_group.name");
}

TEST(ApiErrorTest, WorkspaceNotFoundUsesModeMessage) {
  ApiError error = WorkspaceNotFound();
  EXPECT_EQ(error.status(), 404u);
  EXPECT_EQ(BodyOf(error).at("message"), "Membership not found for Workspace");
}

TEST(ApiErrorTest, StoreErrorsMapToStatuses) {
  using storage::StoreError;
  using storage::StoreErrorCode;
  EXPECT_EQ(FromStoreError(StoreError(StoreErrorCode::kConflict, "x"), "r").status(), 409u);
  EXPECT_EQ(FromStoreError(StoreError(StoreErrorCode::kUnavailable, "x"), "r").status(), 503u);
  EXPECT_EQ(FromStoreError(StoreError(StoreErrorCode::kRetry, "x"), "r").status(), 503u);
  ApiError internal = FromStoreError(StoreError(StoreErrorCode::kInternal, "disk I/O"), "req-7");
  EXPECT_EQ(internal.status(), 500u);
  // The client sees the request id but never the internal detail.
  EXPECT_NE(internal.message().find("req-7"), std::string::npos);
  EXPECT_EQ(internal.message().find("disk"), std::string::npos);
}

}  // namespace
}  // namespace roster::api
