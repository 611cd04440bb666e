#include "domain/timestamps.hpp"

#include <chrono>

namespace roster::domain {

int64_t NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

// Writes `value` as `width` decimal digits, zero-padded.
char* WriteDigits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

// Calendar arithmetic from std::chrono rather than gmtime_r: glibc's gmtime_r takes a
// process-wide lock, which every I/O thread would contend on when rendering lists.
size_t FormatRfc3339(int64_t micros, char* out) {
  using namespace std::chrono;
  sys_time<microseconds> time{microseconds{micros}};
  sys_days day = floor<days>(time);
  year_month_day date{day};
  hh_mm_ss clock{floor<seconds>(time - day)};
  char* cursor = WriteDigits(out, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  *cursor++ = '-';
  cursor = WriteDigits(cursor, static_cast<unsigned>(date.month()), 2);
  *cursor++ = '-';
  cursor = WriteDigits(cursor, static_cast<unsigned>(date.day()), 2);
  *cursor++ = 'T';
  cursor = WriteDigits(cursor, static_cast<unsigned>(clock.hours().count()), 2);
  *cursor++ = ':';
  cursor = WriteDigits(cursor, static_cast<unsigned>(clock.minutes().count()), 2);
  *cursor++ = ':';
  cursor = WriteDigits(cursor, static_cast<unsigned>(clock.seconds().count()), 2);
  *cursor++ = 'Z';
  return static_cast<size_t>(cursor - out);
}

std::string FormatRfc3339(int64_t micros) {
  char text[kRfc3339Size];
  return std::string(text, FormatRfc3339(micros, text));
}

}  // namespace roster::domain
