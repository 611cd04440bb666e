#include "domain/validation.hpp"

#include <gtest/gtest.h>

namespace roster::domain {
namespace {

TEST(CheckUsernameTest, AcceptsLowercaseSlug) { EXPECT_TRUE(CheckUsername("acme_2").ok()); }

TEST(CheckUsernameTest, RejectsBadShapes) {
  EXPECT_FALSE(CheckUsername("").ok());
  EXPECT_FALSE(CheckUsername("2acme").ok());
  EXPECT_FALSE(CheckUsername("Acme").ok());
  EXPECT_FALSE(CheckUsername("ac-me").ok());
  EXPECT_FALSE(CheckUsername(std::string(65, 'a')).ok());
  EXPECT_TRUE(CheckUsername(std::string(64, 'a')).ok());
}

TEST(CheckUsernameTest, RejectsRouteWords) {
  EXPECT_FALSE(CheckUsername("verify").ok());
  EXPECT_FALSE(CheckUsername("healthz").ok());
  EXPECT_FALSE(CheckUsername("lite").ok());
}

TEST(ParsePositiveIntTest, AcceptsRange) {
  EXPECT_EQ(ParsePositiveInt("1", 1000), 1);
  EXPECT_EQ(ParsePositiveInt("1000", 1000), 1000);
}

TEST(ParsePositiveIntTest, RejectsOutOfRangeAndJunk) {
  EXPECT_EQ(ParsePositiveInt("0", 1000), std::nullopt);
  EXPECT_EQ(ParsePositiveInt("-1", 1000), std::nullopt);
  EXPECT_EQ(ParsePositiveInt("1001", 1000), std::nullopt);
  EXPECT_EQ(ParsePositiveInt("abc", 1000), std::nullopt);
  EXPECT_EQ(ParsePositiveInt("", 1000), std::nullopt);
  EXPECT_EQ(ParsePositiveInt(" 1", 1000), std::nullopt);
  EXPECT_EQ(ParsePositiveInt("99999999999999999999999", 1000), std::nullopt);
}

}  // namespace
}  // namespace roster::domain
