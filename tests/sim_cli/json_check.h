#pragma once
// Test-only: a small validating JSON parser (RFC 8259: objects, arrays, strings with
// escapes, numbers, true/false/null; nothing after the value but whitespace;
// duplicate object keys rejected), so that the CLI tests check `--json` output
// without a dependency outside the project's Debian set (which has no JSON library).
// Numbers keep their text; AsUint parses unsigned integers.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sluice::testing {

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's decoded bytes, or a number's literal
  std::vector<Json> items;
  std::map<std::string, Json> fields;

  bool Has(const std::string& key) const { return kind == Kind::kObject && fields.contains(key); }
  const Json& operator[](const std::string& key) const {
    static const Json null_value;
    const auto it = fields.find(key);
    return it == fields.end() ? null_value : it->second;
  }
  std::optional<uint64_t> AsUint() const {
    uint64_t value = 0;
    if (kind != Kind::kNumber || !absl::SimpleAtoi(text, &value)) return std::nullopt;
    return value;
  }
};

class JsonParser {
 public:
  // The parsed value, or nullopt with error() saying where and why.
  static std::optional<Json> Parse(const std::string& input, std::string* error = nullptr) {
    JsonParser parser(input);
    Json value;
    const bool ok = parser.Value(value, 0) && (parser.SkipSpace(), parser.position_ == input.size());
    if (!ok && parser.error_.empty()) parser.Fail("trailing characters");
    if (error != nullptr) *error = parser.error_;
    if (!ok) return std::nullopt;
    return value;
  }

 private:
  explicit JsonParser(const std::string& input) : input_(input) {}

  bool Fail(const std::string& why) {
    if (error_.empty()) error_ = absl::StrCat(why, " at byte ", position_);
    return false;
  }
  void SkipSpace() {
    while (position_ < input_.size() && (input_[position_] == ' ' || input_[position_] == '\t' ||
                                         input_[position_] == '\n' || input_[position_] == '\r')) {
      ++position_;
    }
  }
  bool Peek(char c) const { return position_ < input_.size() && input_[position_] == c; }
  bool Literal(const char* word) {
    const std::string expected(word);
    if (input_.compare(position_, expected.size(), expected) != 0) return Fail("bad literal");
    position_ += expected.size();
    return true;
  }

  bool Value(Json& out, int depth) {
    if (depth > 64) return Fail("nested too deep");
    SkipSpace();
    if (position_ >= input_.size()) return Fail("unexpected end");
    const char c = input_[position_];
    if (c == '{') return Object(out, depth);
    if (c == '[') return Array(out, depth);
    if (c == '"') {
      out.kind = Json::Kind::kString;
      return String(out.text);
    }
    if (c == 't' || c == 'f') {
      out.kind = Json::Kind::kBool;
      out.boolean = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out.kind = Json::Kind::kNull;
      return Literal("null");
    }
    out.kind = Json::Kind::kNumber;
    return Number(out.text);
  }

  bool Digits() {
    const size_t start = position_;
    while (position_ < input_.size() && input_[position_] >= '0' && input_[position_] <= '9') ++position_;
    return position_ > start || Fail("expected a digit");
  }

  bool Number(std::string& text) {
    const size_t start = position_;
    if (Peek('-')) ++position_;
    if (Peek('0')) {
      ++position_;
    } else if (!Digits()) {
      return false;
    }
    if (Peek('.')) {
      ++position_;
      if (!Digits()) return false;
    }
    if (Peek('e') || Peek('E')) {
      ++position_;
      if (Peek('+') || Peek('-')) ++position_;
      if (!Digits()) return false;
    }
    text = input_.substr(start, position_ - start);
    return true;
  }

  bool Hex4(uint32_t& code) {
    if (position_ + 4 > input_.size()) return Fail("short \\u escape");
    code = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = input_[position_++];
      const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (digit < 0) return Fail("bad \\u escape");
      code = code * 16 + static_cast<uint32_t>(digit);
    }
    return true;
  }

  bool String(std::string& out) {
    ++position_;  // the opening quote
    while (position_ < input_.size()) {
      const char c = input_[position_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Fail("unescaped control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (position_ >= input_.size()) break;
      const char escaped = input_[position_++];
      switch (escaped) {
        case '"': case '\\': case '/': out += escaped; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t code = 0;
          if (!Hex4(code)) return false;
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else {
            out += '?';  // the CLI escapes only control characters; others are kept as a marker
          }
          break;
        }
        default: return Fail("bad escape");
      }
    }
    return Fail("unterminated string");
  }

  bool Array(Json& out, int depth) {
    out.kind = Json::Kind::kArray;
    ++position_;
    SkipSpace();
    if (Peek(']')) {
      ++position_;
      return true;
    }
    while (true) {
      out.items.emplace_back();
      if (!Value(out.items.back(), depth + 1)) return false;
      SkipSpace();
      if (Peek(',')) {
        ++position_;
        continue;
      }
      if (Peek(']')) {
        ++position_;
        return true;
      }
      return Fail("expected , or ] in an array");
    }
  }

  bool Object(Json& out, int depth) {
    out.kind = Json::Kind::kObject;
    ++position_;
    SkipSpace();
    if (Peek('}')) {
      ++position_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (!Peek('"')) return Fail("expected a key");
      std::string key;
      if (!String(key)) return false;
      if (out.fields.contains(key)) return Fail("duplicate key " + key);
      SkipSpace();
      if (!Peek(':')) return Fail("expected :");
      ++position_;
      if (!Value(out.fields[key], depth + 1)) return false;
      SkipSpace();
      if (Peek(',')) {
        ++position_;
        continue;
      }
      if (Peek('}')) {
        ++position_;
        return true;
      }
      return Fail("expected , or } in an object");
    }
  }

  const std::string& input_;
  size_t position_ = 0;
  std::string error_;
};

}  // namespace sluice::testing
