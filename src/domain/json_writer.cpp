#include "domain/json_writer.hpp"

#include <fmt/format.h>

#include <array>

#include "domain/timestamps.hpp"

namespace roster::domain {

void JsonWriter::BeforeValue() {
  if (need_comma_) out_ += ',';
  need_comma_ = true;
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  need_comma_ = false;
}

void JsonWriter::EndObject() {
  out_ += '}';
  need_comma_ = true;
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  need_comma_ = false;
}

void JsonWriter::EndArray() {
  out_ += ']';
  need_comma_ = true;
}

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  out_ += '"';
  out_.append(key);
  out_.append("\":", 2);
  need_comma_ = false;
}

void JsonWriter::String(std::string_view value) { StringOf({value}); }

void JsonWriter::StringOf(std::initializer_list<std::string_view> pieces) {
  BeforeValue();
  out_ += '"';
  for (std::string_view piece : pieces) AppendEscaped(piece);
  out_ += '"';
}

void JsonWriter::Int(int64_t value) {
  BeforeValue();
  fmt::format_to(std::back_inserter(out_), "{}", value);
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
}

void JsonWriter::Timestamp(int64_t micros) {
  char text[kRfc3339Size];
  BeforeValue();
  out_ += '"';
  out_.append(text, FormatRfc3339(micros, text));
  out_ += '"';
}

void JsonWriter::StringField(std::string_view key, std::string_view value) {
  Key(key);
  String(value);
}

void JsonWriter::IntField(std::string_view key, int64_t value) {
  Key(key);
  Int(value);
}

void JsonWriter::BoolField(std::string_view key, bool value) {
  Key(key);
  Bool(value);
}

void JsonWriter::TimestampField(std::string_view key, int64_t micros) {
  Key(key);
  Timestamp(micros);
}

void JsonWriter::EmptyObjectField(std::string_view key) {
  Key(key);
  BeginObject();
  EndObject();
}

namespace {

// True for the bytes that a JSON string cannot hold as they are.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

}  // namespace

void JsonWriter::AppendEscaped(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const char* run = text.data();
  const char* end = run + text.size();
  for (const char* next = run; next != end; ++next) {
    unsigned char c = static_cast<unsigned char>(*next);
    if (!kNeedsEscape[c]) continue;
    out_.append(run, next);
    run = next + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 0xf];
    }
  }
  out_.append(run, end);
}

}  // namespace roster::domain
