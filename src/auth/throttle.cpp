#include "auth/throttle.hpp"

#include <boost/asio/ip/address.hpp>
#include <sodium.h>

#include <algorithm>
#include <charconv>

namespace roster::auth {
namespace {

// Rounds a positive duration up to whole seconds, at least 1.
std::chrono::seconds CeilSeconds(Clock::duration duration) {
  auto seconds = std::chrono::ceil<std::chrono::seconds>(duration);
  return std::max(seconds, std::chrono::seconds(1));
}

std::optional<uint32_t> ParseCount(std::string_view text) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

}  // namespace

std::string ThrottleKey(std::string_view address) {
  // IPv4 text as the session writes it is already canonical, and parsing it again cost more
  // than the rest of the throttle check.
  if (address.find(':') == std::string_view::npos) return std::string(address);
  boost::system::error_code error;
  auto parsed = boost::asio::ip::make_address(std::string(address), error);
  if (error) return std::string(address);
  if (parsed.is_v4()) return parsed.to_string();
  boost::asio::ip::address_v6 v6 = parsed.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  boost::asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

AuthThrottle::AuthThrottle(FailureLimit limit, size_t max_addresses)
    : limit_(limit), entries_(max_addresses) {
  randombytes_buf(digest_key_.data(), digest_key_.size());
}

AuthThrottle::Digest AuthThrottle::DigestOf(std::string_view authorization) const {
  Digest digest;
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(authorization.data()),
                     authorization.size(), digest_key_.data(), digest_key_.size());
  return digest;
}

std::optional<std::chrono::seconds> AuthThrottle::CheckBlocked(std::string_view address,
                                                               std::string_view authorization,
                                                               Clock::time_point now) {
  if (!enabled()) return std::nullopt;
  std::string key = ThrottleKey(address);
  std::lock_guard lock(mutex_);
  Entry* entry = entries_.Find(key);
  if (!entry || entry->blocked_until <= now) return std::nullopt;
  Digest digest = DigestOf(authorization);
  for (size_t i = 0; i < entry->known_count; ++i) {
    const KnownCredential& known = entry->known[i];
    bool fresh = now - known.last_success < kKnownCredentialLifetime;
    if (fresh && sodium_memcmp(known.digest.data(), digest.data(), digest.size()) == 0) {
      return std::nullopt;
    }
  }
  return CeilSeconds(entry->blocked_until - now);
}

bool AuthThrottle::RecordFailure(std::string_view address, Clock::time_point now) {
  if (!enabled()) return false;
  std::string key = ThrottleKey(address);
  std::lock_guard lock(mutex_);
  Entry& entry = entries_.FindOrInsert(key);
  // A known credential that fails while the address is blocked (revoked since) does not extend
  // the block.
  if (entry.blocked_until > now) return false;
  if (entry.failures == 0 || now - entry.window_start >= limit_.window) {
    entry.window_start = now;
    entry.failures = 0;
  }
  if (++entry.failures < limit_.max_failures) return false;
  entry.blocked_until = now + limit_.window;
  entry.failures = 0;
  return true;
}

void AuthThrottle::RecordSuccess(std::string_view address, std::string_view authorization,
                                 Clock::time_point now) {
  if (!enabled()) return;
  std::string key = ThrottleKey(address);
  Digest digest = DigestOf(authorization);
  std::lock_guard lock(mutex_);
  Entry& entry = entries_.FindOrInsert(key);
  for (size_t i = 0; i < entry.known_count; ++i) {
    if (sodium_memcmp(entry.known[i].digest.data(), digest.data(), digest.size()) == 0) {
      entry.known[i].last_success = now;
      return;
    }
  }
  if (entry.known_count < entry.known.size()) {
    entry.known[entry.known_count++] = KnownCredential{digest, now};
    return;
  }
  // Full: replace the credential that succeeded least recently.
  auto oldest = std::min_element(entry.known.begin(), entry.known.end(),
                                 [](const KnownCredential& a, const KnownCredential& b) {
                                   return a.last_success < b.last_success;
                                 });
  *oldest = KnownCredential{digest, now};
}

size_t AuthThrottle::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

TokenRateLimiter::TokenRateLimiter(RateLimit limit, size_t max_tokens)
    : limit_(limit), windows_(max_tokens) {}

RateDecision TokenRateLimiter::Acquire(std::string_view token, Clock::time_point now) {
  RateDecision decision;
  decision.limit = limit_.requests;
  if (!enabled()) return decision;
  std::lock_guard lock(mutex_);
  Window& window = windows_.FindOrInsert(std::string(token));
  if (window.count == 0 || now - window.start >= limit_.window) {
    window.start = now;
    window.count = 0;
  }
  if (window.count >= limit_.requests) {
    decision.allowed = false;
    decision.remaining = 0;
    decision.retry_after = CeilSeconds(window.start + limit_.window - now);
    return decision;
  }
  ++window.count;
  decision.remaining = limit_.requests - window.count;
  return decision;
}

std::optional<std::pair<uint32_t, std::chrono::seconds>> ParseRatePerWindow(
    std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<uint32_t> count = ParseCount(text.substr(0, slash));
  std::optional<uint32_t> seconds = ParseCount(text.substr(slash + 1));
  if (!count || !seconds) return std::nullopt;
  return std::make_pair(*count, std::chrono::seconds(*seconds));
}

}  // namespace roster::auth
