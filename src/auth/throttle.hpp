// In-memory abuse limits: failed authentications per client address, and requests per API
// token. Both keep a bounded number of entries and evict the least recently used one when full.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace roster::auth {

using Clock = std::chrono::steady_clock;

// A map of at most `capacity` entries that drops the least recently used entry to make room.
// Not thread-safe.
template <class Value>
class LruMap {
 public:
  explicit LruMap(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // Returns the entry for `key`, marked as most recently used; nullptr when absent.
  Value* Find(const std::string& key) {
    auto found = index_.find(key);
    if (found == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, found->second);
    return &found->second->second;
  }

  // Returns the entry for `key`, inserting a default Value (and evicting) when absent.
  Value& FindOrInsert(const std::string& key) {
    if (Value* value = Find(key)) return *value;
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, Value{});
    index_.emplace(key, order_.begin());
    return order_.front().second;
  }

  size_t size() const { return index_.size(); }

 private:
  size_t capacity_;
  std::list<std::pair<std::string, Value>> order_;  // most recently used first
  std::unordered_map<std::string, typename std::list<std::pair<std::string, Value>>::iterator>
      index_;
};

// Returns the key that throttling groups a client address under: the address itself for IPv4,
// the IPv4 address for an IPv4-mapped IPv6 address, and the /64 prefix for other IPv6
// addresses, because one host commonly holds a whole /64. Unparsable text is returned as is.
std::string ThrottleKey(std::string_view address);

struct FailureLimit {
  uint32_t max_failures = 20;  // 0 turns the throttle off
  std::chrono::seconds window{10};
};

// Throttles failed authentication per client address.
//
// Rule: an address gets `max_failures` failed authentications per window, where a window starts
// at the first failure after the previous one ended. The failure that reaches the limit blocks
// the address for `window` from that moment. While blocked, a request from it that carries
// credentials gets 429 without being checked, unless those exact credentials (the whole
// Authorization value) authenticated successfully from that address within the last
// `kKnownCredentialLifetime`. So a client that shares an address with an attacker keeps working
// with the credentials it already used, and a new client waits at most one window.
class AuthThrottle {
 public:
  static constexpr std::chrono::hours kKnownCredentialLifetime{1};
  static constexpr size_t kKnownCredentialsPerAddress = 4;

  AuthThrottle(FailureLimit limit, size_t max_addresses);

  bool enabled() const { return limit_.max_failures > 0; }
  const FailureLimit& limit() const { return limit_; }

  // Returns how long the client must wait when `address` is blocked for these credentials, in
  // whole seconds rounded up (at least 1); nothing when the request may be authenticated.
  std::optional<std::chrono::seconds> CheckBlocked(std::string_view address,
                                                   std::string_view authorization,
                                                   Clock::time_point now);

  // Counts a failed authentication of a request that carried credentials. Returns true when
  // this failure blocks the address.
  bool RecordFailure(std::string_view address, Clock::time_point now);

  // Remembers credentials that authenticated successfully from `address`.
  void RecordSuccess(std::string_view address, std::string_view authorization,
                     Clock::time_point now);

  size_t tracked_addresses() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct KnownCredential {
    Digest digest{};
    Clock::time_point last_success{};
  };
  struct Entry {
    Clock::time_point window_start{};
    uint32_t failures = 0;
    Clock::time_point blocked_until{};
    std::array<KnownCredential, kKnownCredentialsPerAddress> known{};
    size_t known_count = 0;
  };

  Digest DigestOf(std::string_view authorization) const;

  FailureLimit limit_;
  std::array<unsigned char, 32> digest_key_;  // random per process, so digests mean nothing outside it
  mutable std::mutex mutex_;
  LruMap<Entry> entries_;  // GUARDED_BY(mutex_)
};

struct RateLimit {
  uint32_t requests = 0;  // 0 turns the limit off
  std::chrono::seconds window{1};
};

struct RateDecision {
  bool allowed = true;
  uint32_t limit = 0;
  uint32_t remaining = 0;  // requests left in the current window after this one
  std::chrono::seconds retry_after{0};  // set when not allowed: until the window ends, rounded up
};

// Limits the requests of each API token to `requests` per fixed window. A window starts at the
// token's first request after the previous window ended.
class TokenRateLimiter {
 public:
  TokenRateLimiter(RateLimit limit, size_t max_tokens);

  bool enabled() const { return limit_.requests > 0; }

  // Counts one request of `token` and returns whether it is within the limit.
  RateDecision Acquire(std::string_view token, Clock::time_point now);

 private:
  struct Window {
    Clock::time_point start{};
    uint32_t count = 0;
  };

  RateLimit limit_;
  std::mutex mutex_;
  LruMap<Window> windows_;  // GUARDED_BY(mutex_)
};

// Parses "REQUESTS/SECONDS" such as "600/60" (both positive integers). Returns nothing for any
// other text.
std::optional<std::pair<uint32_t, std::chrono::seconds>> ParseRatePerWindow(std::string_view text);

}  // namespace roster::auth
