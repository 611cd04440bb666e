// Writes JSON text straight into a string, without building a value tree first.
//
// Boost.JSON 1.81 serializes only a finished boost::json::value. A response built that way
// allocates one node per field and link before a byte is written, and the profile of a page
// of 100 groups spent most of its time there. This writer appends the same text in one pass,
// with strings escaped exactly as boost::json::serialize escapes them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace roster::domain {

class JsonWriter {
 public:
  // With `after_value`, the text in `out` (or sent before it) already ends with a value of
  // the open array or object, so the next value starts with a comma.
  explicit JsonWriter(std::string& out, bool after_value = false)
      : out_(out), need_comma_(after_value) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  // `key` is written as it is: keys are names from the code, never escaped.
  void Key(std::string_view key);

  void String(std::string_view value);
  // One string value made of several pieces, as if they were joined first.
  void StringOf(std::initializer_list<std::string_view> pieces);
  void Int(int64_t value);
  void Bool(bool value);
  // An RFC 3339 UTC time stamp, as domain::FormatRfc3339 writes it.
  void Timestamp(int64_t micros);

  // Key and value in one call. The names differ by type on purpose: with overloads, a string
  // literal would convert to bool before it converted to std::string_view.
  void StringField(std::string_view key, std::string_view value);
  void IntField(std::string_view key, int64_t value);
  void BoolField(std::string_view key, bool value);
  void TimestampField(std::string_view key, int64_t micros);
  // "key": {}
  void EmptyObjectField(std::string_view key);

 private:
  void BeforeValue();
  void AppendEscaped(std::string_view text);

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace roster::domain
