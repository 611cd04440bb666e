#include "domain/json_writer.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>

#include "domain/timestamps.hpp"

namespace roster::domain {
namespace {

std::string WrittenString(std::string_view value) {
  std::string text;
  JsonWriter(text).String(value);
  return text;
}

TEST(JsonWriterTest, EscapesEveryByteAsBoostJsonDoes) {
  for (int byte = 0; byte < 256; ++byte) {
    std::string value = "a" + std::string(1, static_cast<char>(byte)) + "b";
    if (byte >= 0x80) continue;  // a lone high byte is not UTF-8; names are checked on input
    EXPECT_EQ(WrittenString(value), boost::json::serialize(boost::json::value(value)))
        << "byte " << byte;
  }
}

TEST(JsonWriterTest, RandomStringsMatchBoostJson) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> byte(0, 0x7f);
  for (int round = 0; round < 2000; ++round) {
    std::string value(round % 40, ' ');
    for (char& c : value) c = static_cast<char>(byte(random));
    value += "\xc3\xa9\xe2\x82\xac";  // multi-byte UTF-8 passes through unchanged
    ASSERT_EQ(WrittenString(value), boost::json::serialize(boost::json::value(value)));
  }
}

TEST(JsonWriterTest, NestsObjectsAndArraysWithCommas) {
  std::string text;
  JsonWriter writer(text);
  writer.BeginObject();
  writer.IntField("n", -42);
  writer.BoolField("yes", true);
  writer.Key("list");
  writer.BeginArray();
  writer.Int(1);
  writer.BeginObject();
  writer.EndObject();
  writer.StringOf({"a", "\"", "b"});
  writer.EndArray();
  writer.EmptyObjectField("_embedded");
  writer.EndObject();
  EXPECT_EQ(text, R"({"n":-42,"yes":true,"list":[1,{},"a\"b"],"_embedded":{}})");
  EXPECT_TRUE(boost::json::parse(text).is_object());
}

TEST(TimestampTest, FormatsUtcWholeSeconds) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1'796'389'509'999'999), "2026-12-04T13:05:09Z");
  EXPECT_EQ(FormatRfc3339(951'782'400'000'000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(253'402'300'799'000'000), "9999-12-31T23:59:59Z");
}

TEST(TimestampTest, MatchesGmtimeOverManyDays) {
  std::mt19937_64 random(11);
  std::uniform_int_distribution<int64_t> seconds(0, 4'102'444'800);  // 1970 to 2100
  for (int i = 0; i < 5000; ++i) {
    std::time_t when = static_cast<std::time_t>(seconds(random));
    std::tm utc{};
    gmtime_r(&when, &utc);
    char expected[32];
    std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%SZ", &utc);
    ASSERT_EQ(FormatRfc3339(int64_t{when} * 1'000'000), expected);
  }
}

}  // namespace
}  // namespace roster::domain
