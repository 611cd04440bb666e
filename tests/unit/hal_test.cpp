#include "domain/hal.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace roster::domain {
namespace {

Group SampleGroup() {
  Group group;
  group.token = "a1b2c3d4e5f6";
  group.name = "Finance";
  group.creator_username = "alice";
  group.member_count = 3;
  group.created_at = 1'796'389'509'000'000;  // 2026-12-04T13:05:09Z
  group.updated_at = group.created_at;
  return group;
}

boost::json::object GroupJson(const Group& group) {
  return boost::json::parse(Render(WriteGroup, "acme", group)).as_object();
}

// A collection of `count` empty objects, parsed back.
boost::json::object CollectionJson(std::string_view self_path, int64_t count, Paging paging) {
  std::string text;
  JsonWriter writer(text);
  WriteCollection(writer, self_path, "groups", count, paging, [&](JsonWriter& out) {
    for (int64_t i = 0; i < count; ++i) {
      out.BeginObject();
      out.EndObject();
    }
  });
  return boost::json::parse(text).as_object();
}

std::string Href(const boost::json::object& object, std::string_view rel) {
  return std::string(object.at("_links").at(rel).at("href").as_string());
}

TEST(RenderGroupTest, HasEveryFieldWithTypes) {
  auto json = GroupJson(SampleGroup());
  EXPECT_EQ(json.at("token"), "a1b2c3d4e5f6");
  EXPECT_EQ(json.at("group_type"), "user_group");
  EXPECT_EQ(json.at("state"), "active");
  EXPECT_TRUE(json.at("member_count").is_int64());
  EXPECT_EQ(json.at("member_count").as_int64(), 3);
  EXPECT_TRUE(json.at("managed").is_bool());
  EXPECT_EQ(json.at("created_at"), "2026-12-04T13:05:09Z");
  EXPECT_TRUE(json.at("_embedded").as_object().empty());
}

TEST(RenderGroupTest, LinksPointAtRealPaths) {
  auto json = GroupJson(SampleGroup());
  EXPECT_EQ(Href(json, "self"), "/api/acme/groups/a1b2c3d4e5f6");
  EXPECT_EQ(Href(json, "web"), "/organizations/acme/groups/a1b2c3d4e5f6");
  EXPECT_EQ(Href(json, "creator"), "/api/alice");
  EXPECT_EQ(Href(json, "group_memberships"), "/api/acme/groups/a1b2c3d4e5f6/memberships");
  EXPECT_EQ(Href(json, "membership_by_id"),
            "/api/acme/groups/a1b2c3d4e5f6/memberships/{membership_token}");
  EXPECT_EQ(Href(json, "memberships_preview"),
            "/api/acme/groups/a1b2c3d4e5f6/memberships?filter=preview");
  EXPECT_TRUE(json.at("_links").at("membership_by_id").at("templated").as_bool());
  EXPECT_FALSE(json.at("_links").at("self").at("templated").as_bool());
}

TEST(RenderCollectionTest, UnpagedHasNoPagination) {
  auto json = CollectionJson("/api/acme/groups", 0, Paging{});
  EXPECT_FALSE(json.contains("pagination"));
  EXPECT_TRUE(json.at("_embedded").at("groups").as_array().empty());
}

TEST(RenderCollectionTest, MiddlePageLinksBothWays) {
  Paging paging{true, 2, 10, 25};
  auto json = CollectionJson("/api/acme/groups", 10, paging);
  EXPECT_EQ(Href(json, "next_page"), "/api/acme/groups?page=3&per_page=10");
  EXPECT_EQ(Href(json, "prev_page"), "/api/acme/groups?page=1&per_page=10");
  auto pagination = json.at("pagination").as_object();
  EXPECT_EQ(pagination.at("total_pages").as_int64(), 3);
  EXPECT_EQ(pagination.at("total_count").as_int64(), 25);
  EXPECT_EQ(pagination.at("count").as_int64(), 10);
}

TEST(RenderCollectionTest, LastPageHasNoNextLink) {
  Paging paging{true, 3, 10, 25};
  auto json = CollectionJson("/api/acme/groups?member=bob", 5, paging);
  EXPECT_FALSE(json.at("_links").as_object().contains("next_page"));
  EXPECT_EQ(Href(json, "prev_page"), "/api/acme/groups?member=bob&page=2&per_page=10");
}

TEST(RenderCollectionTest, PagePastEndPointsBackToLastPage) {
  Paging paging{true, 9, 10, 25};
  auto json = CollectionJson("/api/acme/groups", 0, paging);
  EXPECT_FALSE(json.at("_links").as_object().contains("next_page"));
  EXPECT_EQ(Href(json, "prev_page"), "/api/acme/groups?page=3&per_page=10");
}

TEST(RenderGroupTest, EscapesNamesThatNeedIt) {
  Group group = SampleGroup();
  group.name = "Quote \" back \\ tab \t bell \x07 caf\xc3\xa9";
  EXPECT_EQ(GroupJson(group).at("name").as_string(), group.name);
}

}  // namespace
}  // namespace roster::domain
