#include "auth/credentials.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

#include "domain/tokens.hpp"

namespace roster::auth {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitializeCrypto(); }
};

TEST_F(CredentialsTest, ParsesBasicHeader) {
  // base64("abc123def456:s3cr:et") keeps everything after the first colon as the secret.
  auto credentials = ParseBasicAuthorization("Basic YWJjMTIzZGVmNDU2OnMzY3I6ZXQ=");
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(credentials->token, "abc123def456");
  EXPECT_EQ(credentials->secret, "s3cr:et");
}

TEST_F(CredentialsTest, SchemeIsCaseInsensitive) {
  EXPECT_TRUE(ParseBasicAuthorization("basic YTpi").has_value());
}

TEST_F(CredentialsTest, RejectsMalformedHeaders) {
  EXPECT_FALSE(ParseBasicAuthorization("").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Bearer YTpi").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic ").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic YWJj").has_value());  // "abc": no colon
}

TEST_F(CredentialsTest, SecretsAreLongRandomAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string secret = NewSecret();
    EXPECT_EQ(secret.size(), 43u);  // 32 bytes as unpadded base64
    EXPECT_EQ(secret.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST_F(CredentialsTest, HashMatchesOnlyItsSecret) {
  std::string secret = NewSecret();
  std::string hash = HashSecret(secret);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find(secret), std::string::npos);
  EXPECT_TRUE(SecretMatches(secret, hash));
  EXPECT_FALSE(SecretMatches(secret + "x", hash));
  EXPECT_FALSE(SecretMatches("", hash));
  EXPECT_FALSE(SecretMatches(secret, hash.substr(1)));
}

TEST_F(CredentialsTest, TokensHaveTheContractShape) {
  for (int i = 0; i < 100; ++i) {
    std::string token = domain::NewToken();
    EXPECT_TRUE(domain::LooksLikeToken(token)) << token;
  }
  EXPECT_FALSE(domain::LooksLikeToken("ABCDEFGHIJKL"));
  EXPECT_FALSE(domain::LooksLikeToken("abc"));
}

}  // namespace
}  // namespace roster::auth
