// Unit tests of the authentication throttle and the token rate limiter, on explicit time
// points (no clock is read).
#include <gtest/gtest.h>

#include "auth/credentials.hpp"
#include "auth/throttle.hpp"

namespace roster::auth {
namespace {

using std::chrono::seconds;

constexpr std::string_view kGood = "Basic Z29vZA==";
constexpr std::string_view kBad = "Basic YmFk";

class ThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override { InitializeCrypto(); }
  Clock::time_point start_ = Clock::time_point() + std::chrono::hours(1);
};

TEST_F(ThrottleTest, BlocksAfterMaxFailures) {
  AuthThrottle throttle({3, seconds(10)}, 100);
  EXPECT_FALSE(throttle.RecordFailure("10.0.0.1", start_));
  EXPECT_FALSE(throttle.RecordFailure("10.0.0.1", start_ + seconds(1)));
  EXPECT_FALSE(throttle.CheckBlocked("10.0.0.1", kBad, start_ + seconds(1)));
  EXPECT_TRUE(throttle.RecordFailure("10.0.0.1", start_ + seconds(2)));
  std::optional<seconds> wait = throttle.CheckBlocked("10.0.0.1", kBad, start_ + seconds(2));
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, seconds(10));
}

TEST_F(ThrottleTest, RetryAfterRoundsUp) {
  AuthThrottle throttle({1, seconds(10)}, 100);
  throttle.RecordFailure("10.0.0.1", start_);
  std::optional<seconds> wait =
      throttle.CheckBlocked("10.0.0.1", kBad, start_ + std::chrono::milliseconds(8500));
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, seconds(2));
}

TEST_F(ThrottleTest, BlockEndsAfterWindow) {
  AuthThrottle throttle({2, seconds(10)}, 100);
  throttle.RecordFailure("10.0.0.1", start_);
  throttle.RecordFailure("10.0.0.1", start_);
  EXPECT_TRUE(throttle.CheckBlocked("10.0.0.1", kBad, start_ + seconds(9)));
  EXPECT_FALSE(throttle.CheckBlocked("10.0.0.1", kBad, start_ + seconds(10)));
  // The count starts over after the block: one more failure does not block again.
  EXPECT_FALSE(throttle.RecordFailure("10.0.0.1", start_ + seconds(10)));
  EXPECT_FALSE(throttle.CheckBlocked("10.0.0.1", kBad, start_ + seconds(10)));
}

TEST_F(ThrottleTest, FailuresOfExpiredWindowDoNotCount) {
  AuthThrottle throttle({3, seconds(10)}, 100);
  throttle.RecordFailure("10.0.0.1", start_);
  throttle.RecordFailure("10.0.0.1", start_ + seconds(1));
  EXPECT_FALSE(throttle.RecordFailure("10.0.0.1", start_ + seconds(11)));
  EXPECT_FALSE(throttle.RecordFailure("10.0.0.1", start_ + seconds(12)));
  EXPECT_TRUE(throttle.RecordFailure("10.0.0.1", start_ + seconds(13)));
}

TEST_F(ThrottleTest, AddressesAreCountedSeparately) {
  AuthThrottle throttle({1, seconds(10)}, 100);
  throttle.RecordFailure("10.0.0.1", start_);
  EXPECT_TRUE(throttle.CheckBlocked("10.0.0.1", kBad, start_));
  EXPECT_FALSE(throttle.CheckBlocked("10.0.0.2", kBad, start_));
}

TEST_F(ThrottleTest, KnownCredentialsPassDuringBlock) {
  AuthThrottle throttle({1, seconds(10)}, 100);
  throttle.RecordSuccess("10.0.0.1", kGood, start_);
  throttle.RecordFailure("10.0.0.1", start_ + seconds(1));
  EXPECT_FALSE(throttle.CheckBlocked("10.0.0.1", kGood, start_ + seconds(1)));
  EXPECT_TRUE(throttle.CheckBlocked("10.0.0.1", kBad, start_ + seconds(1)));
  // Known only for the address they succeeded from.
  throttle.RecordFailure("10.0.0.2", start_ + seconds(1));
  EXPECT_TRUE(throttle.CheckBlocked("10.0.0.2", kGood, start_ + seconds(1)));
}

TEST_F(ThrottleTest, KnownCredentialsExpire) {
  AuthThrottle throttle({1, seconds(10)}, 100);
  throttle.RecordSuccess("10.0.0.1", kGood, start_);
  Clock::time_point later = start_ + AuthThrottle::kKnownCredentialLifetime + seconds(1);
  throttle.RecordFailure("10.0.0.1", later);
  EXPECT_TRUE(throttle.CheckBlocked("10.0.0.1", kGood, later));
}

TEST_F(ThrottleTest, KnownCredentialsKeepTheMostRecent) {
  AuthThrottle throttle({1, seconds(10)}, 100);
  for (int i = 0; i <= static_cast<int>(AuthThrottle::kKnownCredentialsPerAddress); ++i) {
    throttle.RecordSuccess("10.0.0.1", "Basic " + std::to_string(i), start_ + seconds(i));
  }
  throttle.RecordFailure("10.0.0.1", start_ + seconds(20));
  // "Basic 0" succeeded least recently and was replaced.
  EXPECT_TRUE(throttle.CheckBlocked("10.0.0.1", "Basic 0", start_ + seconds(20)));
  for (int i = 1; i <= static_cast<int>(AuthThrottle::kKnownCredentialsPerAddress); ++i) {
    EXPECT_FALSE(throttle.CheckBlocked("10.0.0.1", "Basic " + std::to_string(i),
                                       start_ + seconds(20)))
        << i;
  }
}

TEST_F(ThrottleTest, TrackedAddressesAreBounded) {
  AuthThrottle throttle({2, seconds(10)}, 3);
  throttle.RecordFailure("10.0.0.1", start_);
  for (int i = 2; i <= 10; ++i) throttle.RecordFailure("10.0.0." + std::to_string(i), start_);
  EXPECT_EQ(throttle.tracked_addresses(), 3u);
  // 10.0.0.1 was evicted, so its earlier failure is forgotten.
  EXPECT_FALSE(throttle.RecordFailure("10.0.0.1", start_));
}

TEST_F(ThrottleTest, RecentlyUsedAddressSurvivesEviction) {
  AuthThrottle throttle({2, seconds(10)}, 2);
  throttle.RecordFailure("10.0.0.1", start_);
  throttle.RecordFailure("10.0.0.2", start_);
  throttle.RecordSuccess("10.0.0.1", kGood, start_);  // 10.0.0.1 is now the most recent
  throttle.RecordFailure("10.0.0.3", start_);         // evicts 10.0.0.2
  EXPECT_TRUE(throttle.RecordFailure("10.0.0.1", start_));
  EXPECT_FALSE(throttle.RecordFailure("10.0.0.2", start_));
}

TEST_F(ThrottleTest, DisabledThrottleNeverBlocks) {
  AuthThrottle throttle({0, seconds(10)}, 100);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(throttle.RecordFailure("10.0.0.1", start_));
  EXPECT_FALSE(throttle.CheckBlocked("10.0.0.1", kBad, start_));
}

TEST(ThrottleKeyTest, GroupsAddresses) {
  EXPECT_EQ(ThrottleKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ThrottleKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ThrottleKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(ThrottleKey("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
  EXPECT_NE(ThrottleKey("2001:db8:1:3::1"), ThrottleKey("2001:db8:1:2::1"));
  EXPECT_EQ(ThrottleKey("unknown"), "unknown");
}

TEST(TokenRateLimiterTest, AllowsLimitPerWindow) {
  Clock::time_point start = Clock::time_point() + std::chrono::hours(1);
  TokenRateLimiter limiter({3, seconds(10)}, 100);
  for (uint32_t remaining : {2u, 1u, 0u}) {
    RateDecision decision = limiter.Acquire("tokenaaaaaaa", start);
    EXPECT_TRUE(decision.allowed);
    EXPECT_EQ(decision.limit, 3u);
    EXPECT_EQ(decision.remaining, remaining);
  }
  RateDecision over = limiter.Acquire("tokenaaaaaaa", start + seconds(4));
  EXPECT_FALSE(over.allowed);
  EXPECT_EQ(over.remaining, 0u);
  EXPECT_EQ(over.retry_after, seconds(6));
  EXPECT_TRUE(limiter.Acquire("tokenbbbbbbb", start + seconds(4)).allowed);
  RateDecision next_window = limiter.Acquire("tokenaaaaaaa", start + seconds(10));
  EXPECT_TRUE(next_window.allowed);
  EXPECT_EQ(next_window.remaining, 2u);
}

TEST(TokenRateLimiterTest, RejectedRequestsDoNotExtendWindow) {
  Clock::time_point start = Clock::time_point() + std::chrono::hours(1);
  TokenRateLimiter limiter({1, seconds(5)}, 100);
  EXPECT_TRUE(limiter.Acquire("tokenaaaaaaa", start).allowed);
  for (int i = 1; i < 5; ++i) EXPECT_FALSE(limiter.Acquire("tokenaaaaaaa", start + seconds(i)).allowed);
  EXPECT_TRUE(limiter.Acquire("tokenaaaaaaa", start + seconds(5)).allowed);
}

TEST(TokenRateLimiterTest, DisabledLimiterAllowsEverything) {
  TokenRateLimiter limiter({0, seconds(1)}, 100);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Acquire("tokenaaaaaaa", Clock::now()).allowed);
}

TEST(ParseRatePerWindowTest, AcceptsCountSlashSeconds) {
  auto parsed = ParseRatePerWindow("600/60");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, 600u);
  EXPECT_EQ(parsed->second, seconds(60));
}

TEST(ParseRatePerWindowTest, RejectsOtherText) {
  for (std::string_view text : {"", "600", "/60", "600/", "0/60", "600/0", "-1/60", "60/ 1",
                                "1.5/2", "99999999999/1", "10/10/10"}) {
    EXPECT_FALSE(ParseRatePerWindow(text)) << text;
  }
}

}  // namespace
}  // namespace roster::auth
