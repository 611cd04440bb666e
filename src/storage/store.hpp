// Store: every read and write of Roster's data, as transactions on a Database engine.
//
// Thread safety: all methods may be called from any number of threads at once; each call runs
// on its own pooled connection. Errors: "not found" is an empty optional or false; a
// violated uniqueness rule throws StoreError(kConflict); an unreachable database throws
// StoreError(kUnavailable).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/names.hpp"
#include "domain/records.hpp"
#include "storage/database.hpp"

namespace roster::storage {

using domain::Account;
using domain::DataSource;
using domain::Group;
using domain::GroupMembership;
using domain::PageRequest;
using domain::Permission;
using domain::PermissionTarget;
using domain::Space;
using domain::WorkspaceMember;

enum class TokenScope { kWorkspace, kMember };

// An API token as authentication reads it.
struct ApiTokenRecord {
  std::string token;
  std::string secret_hash;
  TokenScope scope = TokenScope::kMember;
  Account owner;  // the workspace or the user the token acts as
  bool revoked = false;
};

// The token row of a request and the workspace its path names, read in one transaction.
struct AccessRecord {
  std::optional<ApiTokenRecord> token;
  bool accepted = false;                      // the caller's check took the token row
  std::optional<Account> workspace;           // the account the path names, once accepted
  std::optional<WorkspaceMember> membership;  // a member token's owner in that account
};

template <class T>
struct ListResult {
  std::vector<T> items;
  int64_t total_count = 0;
};

// Filters of the group list. `member_user_id` and `data_source_id` are 0 when unset.
struct GroupFilter {
  int64_t member_user_id = 0;
  int64_t data_source_id = 0;
};

// A position in the group list, which is ordered by (created_at, token).
struct GroupCursor {
  int64_t created_at = 0;
  std::string token;
};

// The outcome of adding a user to a group.
enum class AddMemberOutcome { kAdded, kAlreadyMember, kGroupNotFound, kNotActiveMember };

struct AddMemberResult {
  AddMemberOutcome outcome;
  GroupMembership membership;  // set for kAdded and kAlreadyMember
};

// The outcome of granting a permission.
enum class GrantOutcome { kGranted, kUpdated, kTargetNotFound, kAccessorNotFound };

struct GrantResult {
  GrantOutcome outcome;
  Permission permission;  // set for kGranted and kUpdated
};

class Store {
 public:
  // `pool_size` connections are opened on demand; a request waits at most `acquire_wait`
  // for one.
  Store(std::unique_ptr<Database> database, size_t pool_size,
        std::chrono::milliseconds acquire_wait);

  Database& database() const { return *database_; }
  // Runs a trivial query; throws StoreError(kUnavailable) when the database is unreachable.
  void Ping();

  // Accounts, members and tokens.
  Account CreateWorkspace(const std::string& username, const std::string& name,
                          const std::string& plan);
  Account CreateUser(const std::string& username, const std::string& name,
                     const std::string& email);
  std::optional<Account> FindAccount(const std::string& username);
  // Adds the user to the workspace, or reactivates and updates the admin flag of an existing
  // membership.
  WorkspaceMember AddWorkspaceMember(const Account& workspace, const Account& user, bool admin);
  std::optional<WorkspaceMember> FindWorkspaceMember(int64_t workspace_id, int64_t user_id);
  std::optional<WorkspaceMember> FindWorkspaceMemberByUsername(int64_t workspace_id,
                                                               const std::string& username);
  std::optional<WorkspaceMember> FindWorkspaceMemberByToken(int64_t workspace_id,
                                                            const std::string& user_token);
  ListResult<WorkspaceMember> ListWorkspaceMembers(int64_t workspace_id);
  // Deactivates the membership and removes the user from every group of the workspace, in one
  // transaction. Returns the membership as it is afterwards, or nothing when there is none.
  std::optional<WorkspaceMember> DeactivateWorkspaceMember(int64_t workspace_id,
                                                           int64_t user_id);
  // Whether two users have an active membership in one common workspace.
  bool ShareWorkspace(int64_t user_id, int64_t other_user_id);

  void CreateApiToken(const std::string& token, const std::string& secret_hash,
                      const Account& owner, TokenScope scope);
  std::optional<ApiTokenRecord> FindApiToken(const std::string& token);
  // Reads the token. Only when `accept` takes the token row (the caller checks the secret
  // there) does it read the account named `workspace_username` and a member token's
  // membership in it. One transaction replaces three, and a wrong secret reads no account.
  AccessRecord FindAccess(const std::string& token, const std::string& workspace_username,
                          const std::function<bool(const ApiTokenRecord&)>& accept);
  // Returns false when no such token exists; revoking twice is not an error.
  bool RevokeApiToken(const std::string& token);

  // Groups.
  ListResult<Group> ListGroups(int64_t workspace_id, const GroupFilter& filter,
                               const PageRequest& page);
  // Returns at most `limit` groups that follow `after` in list order (from the start without
  // it), read in one transaction: one part of a list streamed in parts. The parts together
  // are not one snapshot: a group created or deleted meanwhile may or may not appear.
  std::vector<Group> ListGroupsAfter(int64_t workspace_id, const GroupFilter& filter,
                                     const std::optional<GroupCursor>& after, int64_t limit);
  std::optional<Group> FindGroup(int64_t workspace_id, const std::string& token);
  // `managed` marks a group provisioned by an identity provider (read-only over the API).
  Group CreateGroup(int64_t workspace_id, const domain::NormalizedName& name,
                    const std::string& description, int64_t creator_id, bool managed = false);
  // Applies the given fields; returns nothing when the group does not exist.
  std::optional<Group> UpdateGroup(int64_t workspace_id, const std::string& token,
                                   const std::optional<domain::NormalizedName>& name,
                                   const std::optional<std::string>& description);
  // Deletes the group with its memberships and permissions and returns it as it was.
  std::optional<Group> DeleteGroup(int64_t workspace_id, const std::string& token);

  // Group memberships. `newest_first` reverses the order (the preview filter).
  ListResult<GroupMembership> ListGroupMemberships(const Group& group, const PageRequest& page,
                                                   bool newest_first);
  std::optional<GroupMembership> FindGroupMembership(const Group& group,
                                                     const std::string& token);
  std::optional<GroupMembership> FindGroupMembershipOfUser(const Group& group, int64_t user_id);
  AddMemberResult AddGroupMember(const Group& group, int64_t user_id, int64_t creator_id);
  std::optional<GroupMembership> RemoveGroupMembership(const Group& group,
                                                       const std::string& token);

  // Spaces.
  ListResult<Space> ListSpaces(int64_t workspace_id, const PageRequest& page);
  std::optional<Space> FindSpace(int64_t workspace_id, const std::string& token);
  Space CreateSpace(int64_t workspace_id, const std::string& name,
                    const std::string& description, int64_t creator_id);
  std::optional<Space> UpdateSpace(int64_t workspace_id, const std::string& token,
                                   const std::optional<std::string>& name,
                                   const std::optional<std::string>& description);
  // Deletes the space with its permissions and returns it as it was.
  std::optional<Space> DeleteSpace(int64_t workspace_id, const std::string& token);

  // Data sources.
  DataSource CreateDataSource(int64_t workspace_id, const std::string& name,
                              const std::string& description, const std::string& adapter);
  ListResult<DataSource> ListDataSources(int64_t workspace_id, const PageRequest& page);
  std::optional<DataSource> FindDataSource(int64_t workspace_id, const std::string& token);
  std::optional<DataSource> DeleteDataSource(int64_t workspace_id, const std::string& token);

  // Permissions on a space or a data source, addressed by the target's id.
  ListResult<Permission> ListPermissions(int64_t workspace_id, PermissionTarget target,
                                         int64_t target_id, const PageRequest& page);
  std::optional<Permission> FindPermission(int64_t workspace_id, PermissionTarget target,
                                           int64_t target_id, const std::string& token);
  // Grants `action` to the accessor (by token: a user's or a group's), or updates the action of
  // the accessor's existing permission on the target.
  GrantResult GrantPermission(int64_t workspace_id, PermissionTarget target, int64_t target_id,
                              const std::string& accessor_type,
                              const std::string& accessor_token, const std::string& action);
  std::optional<Permission> UpdatePermission(int64_t workspace_id, PermissionTarget target,
                                             int64_t target_id, const std::string& token,
                                             const std::string& action);
  std::optional<Permission> RevokePermission(int64_t workspace_id, PermissionTarget target,
                                             int64_t target_id, const std::string& token);

 private:
  std::unique_ptr<Database> database_;
  ConnectionPool pool_;
};

}  // namespace roster::storage
