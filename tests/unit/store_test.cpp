// Store tests on a real SQLite file in a temporary folder.
#include "storage/store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "storage/migrations.hpp"
#include "storage/open_store.hpp"
#include "storage/sqlite_database.hpp"

namespace roster::storage {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::filesystem::temp_directory_path() /
              ("roster_store_test_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(folder_);
    store_ = OpenStore((folder_ / "roster.db").string(), 4);
    workspace_ = store_->CreateWorkspace("acme", "Acme", "business");
    alice_ = store_->CreateUser("alice", "Alice", "alice@example.com");
    bob_ = store_->CreateUser("bob", "Bob", "bob@example.com");
    store_->AddWorkspaceMember(workspace_, alice_, true);
    store_->AddWorkspaceMember(workspace_, bob_, false);
  }

  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(folder_);
  }

  Group NewGroup(const std::string& name) {
    return store_->CreateGroup(workspace_.id, *domain::NormalizeName(name).value, "", alice_.id);
  }

  std::filesystem::path folder_;
  std::unique_ptr<Store> store_;
  Account workspace_, alice_, bob_;
};

TEST_F(StoreTest, DuplicateUsernameIsConflict) {
  try {
    store_->CreateUser("acme", "Other", "");
    FAIL() << "expected a conflict";
  } catch (const StoreError& error) {
    EXPECT_EQ(error.code(), StoreErrorCode::kConflict);
  }
}

TEST_F(StoreTest, GroupNamesAreUniqueByFoldedKey) {
  NewGroup("Caf\u00e9");
  try {
    NewGroup("CAFE\u0301");
    FAIL() << "expected a conflict";
  } catch (const StoreError& error) {
    EXPECT_EQ(error.code(), StoreErrorCode::kConflict);
  }
}

TEST_F(StoreTest, UpdateToSameNameKeepsUpdatedAt) {
  Group group = NewGroup("Finance");
  auto same = store_->UpdateGroup(workspace_.id, group.token, *domain::NormalizeName("Finance").value,
                                  std::nullopt);
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->updated_at, group.updated_at);
  auto renamed = store_->UpdateGroup(workspace_.id, group.token,
                                     *domain::NormalizeName("FINANCE").value, std::nullopt);
  ASSERT_TRUE(renamed.has_value());
  EXPECT_EQ(renamed->name, "FINANCE");
}

TEST_F(StoreTest, UnknownGroupIsEmpty) {
  EXPECT_FALSE(store_->FindGroup(workspace_.id, "zzzzzzzzzzzz").has_value());
  EXPECT_FALSE(store_->DeleteGroup(workspace_.id, "zzzzzzzzzzzz").has_value());
}

TEST_F(StoreTest, GroupsOfAnotherWorkspaceAreInvisible) {
  Group group = NewGroup("Finance");
  Account other = store_->CreateWorkspace("globex", "Globex", "business");
  EXPECT_FALSE(store_->FindGroup(other.id, group.token).has_value());
  EXPECT_EQ(store_->ListGroups(other.id, {}, {}).items.size(), 0u);
}

TEST_F(StoreTest, AddMemberIsIdempotentAndCounted) {
  Group group = NewGroup("Finance");
  AddMemberResult first = store_->AddGroupMember(group, bob_.id, alice_.id);
  AddMemberResult second = store_->AddGroupMember(group, bob_.id, alice_.id);
  EXPECT_EQ(first.outcome, AddMemberOutcome::kAdded);
  EXPECT_EQ(second.outcome, AddMemberOutcome::kAlreadyMember);
  EXPECT_EQ(first.membership.token, second.membership.token);
  EXPECT_EQ(store_->FindGroup(workspace_.id, group.token)->member_count, 1);
}

TEST_F(StoreTest, OutsiderCannotJoinGroup) {
  Group group = NewGroup("Finance");
  Account carol = store_->CreateUser("carol", "Carol", "");
  EXPECT_EQ(store_->AddGroupMember(group, carol.id, alice_.id).outcome,
            AddMemberOutcome::kNotActiveMember);
}

TEST_F(StoreTest, DeactivationRemovesUserFromGroups) {
  Group finance = NewGroup("Finance");
  Group sales = NewGroup("Sales");
  store_->AddGroupMember(finance, bob_.id, alice_.id);
  store_->AddGroupMember(sales, bob_.id, alice_.id);
  store_->AddGroupMember(sales, alice_.id, alice_.id);
  auto member = store_->DeactivateWorkspaceMember(workspace_.id, bob_.id);
  ASSERT_TRUE(member.has_value());
  EXPECT_EQ(member->state, "deactivated");
  EXPECT_EQ(store_->FindGroup(workspace_.id, finance.token)->member_count, 0);
  EXPECT_EQ(store_->FindGroup(workspace_.id, sales.token)->member_count, 1);
  EXPECT_EQ(store_->ListGroupMemberships(sales, {}, false).items.size(), 1u);
}

TEST_F(StoreTest, DeleteGroupCascades) {
  Group group = NewGroup("Finance");
  store_->AddGroupMember(group, bob_.id, alice_.id);
  Space space = store_->CreateSpace(workspace_.id, "Reports", "", alice_.id);
  store_->GrantPermission(workspace_.id, PermissionTarget::kSpace, space.id, "UserGroup",
                          group.token, "view");
  auto deleted = store_->DeleteGroup(workspace_.id, group.token);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->state, "soft_deleted");
  EXPECT_EQ(deleted->member_count, 1);
  EXPECT_EQ(store_->ListPermissions(workspace_.id, PermissionTarget::kSpace, space.id, {})
                .items.size(),
            0u);
  Group again = NewGroup("Finance");
  EXPECT_EQ(again.member_count, 0);
  EXPECT_EQ(again.spaces_count, 0);
}

TEST_F(StoreTest, PermissionsUpsertPerAccessorAndCount) {
  Group group = NewGroup("Finance");
  DataSource source = store_->CreateDataSource(workspace_.id, "Warehouse", "", "postgres");
  GrantResult first = store_->GrantPermission(workspace_.id, PermissionTarget::kDataSource,
                                              source.id, "UserGroup", group.token, "view");
  GrantResult second = store_->GrantPermission(workspace_.id, PermissionTarget::kDataSource,
                                               source.id, "UserGroup", group.token, "query");
  EXPECT_EQ(first.outcome, GrantOutcome::kGranted);
  EXPECT_EQ(second.outcome, GrantOutcome::kUpdated);
  EXPECT_EQ(second.permission.token, first.permission.token);
  EXPECT_EQ(second.permission.action, "query");
  EXPECT_EQ(store_->FindGroup(workspace_.id, group.token)->data_sources_count, 1);
  store_->RevokePermission(workspace_.id, PermissionTarget::kDataSource, source.id,
                           first.permission.token);
  EXPECT_EQ(store_->FindGroup(workspace_.id, group.token)->data_sources_count, 0);
}

TEST_F(StoreTest, GrantToForeignAccessorFails) {
  Account other = store_->CreateWorkspace("globex", "Globex", "business");
  Group foreign = store_->CreateGroup(other.id, *domain::NormalizeName("X").value, "", other.id);
  Space space = store_->CreateSpace(workspace_.id, "Reports", "", alice_.id);
  EXPECT_EQ(store_->GrantPermission(workspace_.id, PermissionTarget::kSpace, space.id,
                                    "UserGroup", foreign.token, "view")
                .outcome,
            GrantOutcome::kAccessorNotFound);
}

TEST_F(StoreTest, PagesAreOrderedAndCounted) {
  for (int i = 0; i < 7; ++i) NewGroup("g" + std::to_string(i));
  auto page = store_->ListGroups(workspace_.id, {}, PageRequest{3, 6});
  EXPECT_EQ(page.total_count, 7);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].name, "g6");
}

// Pages past the middle are read backwards from the end, so every page is compared with the
// same slice of the whole list. The deletes spread over several slots of the group count.
TEST_F(StoreTest, EveryPageMatchesTheWholeList) {
  std::vector<Group> created;
  for (int i = 0; i < 23; ++i) created.push_back(NewGroup("g" + std::to_string(i)));
  for (int i : {0, 11, 22}) store_->DeleteGroup(workspace_.id, created[i].token);
  auto whole = store_->ListGroups(workspace_.id, {}, PageRequest{});
  ASSERT_EQ(whole.items.size(), 20u);
  EXPECT_EQ(whole.total_count, 20);
  for (int64_t per_page : {1, 3, 7, 10, 30}) {
    for (int64_t page = 1; page * per_page <= 20 + per_page * 2; ++page) {
      int64_t offset = (page - 1) * per_page;
      auto listed = store_->ListGroups(workspace_.id, {}, PageRequest{per_page, offset});
      EXPECT_EQ(listed.total_count, 20);
      size_t expected = static_cast<size_t>(std::clamp<int64_t>(20 - offset, 0, per_page));
      ASSERT_EQ(listed.items.size(), expected) << "per_page " << per_page << " page " << page;
      for (size_t i = 0; i < expected; ++i) {
        EXPECT_EQ(listed.items[i].token, whole.items[offset + i].token);
      }
    }
  }
}

TEST_F(StoreTest, GroupCountMigrationCountsExistingGroups) {
  for (int i = 0; i < 5; ++i) NewGroup("g" + std::to_string(i));
  store_.reset();
  SqliteDatabase database((folder_ / "roster.db").string());
  {
    auto connection = database.Connect();
    connection->ExecuteScript(
        "DROP TABLE workspace_group_counts; DELETE FROM schema_migrations WHERE version = 2");
  }
  EXPECT_EQ(Migrate(database), LatestSchemaVersion());
  store_ = OpenStore((folder_ / "roster.db").string(), 4);
  EXPECT_EQ(store_->ListGroups(workspace_.id, {}, PageRequest{1, 0}).total_count, 5);
}

TEST_F(StoreTest, FindAccessReadsWorkspaceOnlyForAcceptedTokens) {
  store_->CreateApiToken("abcdefghijkl", "hash", bob_, TokenScope::kMember);
  auto refused = store_->FindAccess("abcdefghijkl", "acme", [](const auto&) { return false; });
  ASSERT_TRUE(refused.token);
  EXPECT_FALSE(refused.accepted);
  EXPECT_FALSE(refused.workspace);
  auto accepted = store_->FindAccess("abcdefghijkl", "acme", [](const auto&) { return true; });
  EXPECT_TRUE(accepted.accepted);
  ASSERT_TRUE(accepted.workspace);
  EXPECT_EQ(accepted.workspace->id, workspace_.id);
  ASSERT_TRUE(accepted.membership);
  EXPECT_FALSE(accepted.membership->admin);
  auto unknown = store_->FindAccess("zzzzzzzzzzzz", "acme", [](const auto&) { return true; });
  EXPECT_FALSE(unknown.token);
  EXPECT_FALSE(unknown.workspace);
}

TEST_F(StoreTest, RevokedTokenIsMarked) {
  store_->CreateApiToken("abcdefghijkl", "hash", workspace_, TokenScope::kWorkspace);
  EXPECT_FALSE(store_->FindApiToken("abcdefghijkl")->revoked);
  EXPECT_TRUE(store_->RevokeApiToken("abcdefghijkl"));
  EXPECT_TRUE(store_->FindApiToken("abcdefghijkl")->revoked);
  EXPECT_FALSE(store_->RevokeApiToken("zzzzzzzzzzzz"));
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  SqliteDatabase database((folder_ / "roster.db").string());
  auto connection = database.Connect();
  connection->Execute("INSERT INTO schema_migrations (version, description, applied_at) "
                      "VALUES ($1, 'from the future', 0)",
                      {int64_t{LatestSchemaVersion() + 1}});
  EXPECT_THROW(Migrate(database), StoreError);
}

}  // namespace
}  // namespace roster::storage
