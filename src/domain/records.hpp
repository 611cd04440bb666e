// Plain records that the storage layer returns and the HAL renderer reads.
#pragma once

#include <cstdint>
#include <string>

namespace roster::domain {

// A user or a workspace: both are accounts and share one username namespace.
struct Account {
  int64_t id = 0;
  std::string username;
  std::string name;
  std::string email;        // empty for workspaces
  std::string token;        // public 12-character id
  bool is_workspace = false;
  std::string plan;         // "business" or "free"; empty for users
  int64_t created_at = 0;   // microseconds since the Unix epoch
};

// A user's membership in a workspace.
struct WorkspaceMember {
  int64_t id = 0;
  int64_t workspace_id = 0;
  Account user;
  bool admin = false;
  std::string state;        // "active" or "deactivated"
  int64_t activated_at = 0;
  bool managed_by_scim = false;
};

struct Group {
  int64_t id = 0;
  int64_t workspace_id = 0;
  std::string token;
  std::string name;
  std::string description;
  std::string state = "active";
  bool managed = false;
  std::string creator_username;
  int64_t member_count = 0;
  int64_t spaces_count = 0;
  int64_t data_sources_count = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct GroupMembership {
  int64_t id = 0;
  std::string token;
  std::string group_token;
  std::string member_token;
  std::string member_username;
  std::string creator_username;
  int64_t created_at = 0;
};

struct Space {
  int64_t id = 0;
  std::string token;
  std::string name;
  std::string description;
  std::string state = "active";
  std::string creator_username;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct DataSource {
  int64_t id = 0;
  std::string token;
  std::string name;
  std::string description;
  std::string adapter;
  int64_t created_at = 0;
};

// The kind of object a permission is attached to.
enum class PermissionTarget { kSpace, kDataSource };

// A permission of one accessor (a user account or a group) on a space or a data source.
struct Permission {
  int64_t id = 0;
  std::string token;
  std::string target_token;     // the space's or data source's token
  std::string action;
  std::string accessor_type;    // "Account" or "UserGroup"
  std::string accessor_token;
  std::string accessor_username;  // set when accessor_type is "Account"
  int64_t created_at = 0;
};

// One page of a list, with the total across all pages.
struct PageRequest {
  int64_t limit = -1;  // -1 returns every row
  int64_t offset = 0;
};

}  // namespace roster::domain
