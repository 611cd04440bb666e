// Time stamps: stored as microseconds since the Unix epoch, shown as RFC 3339 UTC.
#pragma once

#include <cstdint>
#include <string>

namespace roster::domain {

int64_t NowMicros();

// Formats as "2026-12-04T13:05:09Z" (whole seconds, UTC).
std::string FormatRfc3339(int64_t micros);

}  // namespace roster::domain
