#include "json_value.h"

#include <cctype>
#include <charconv>

namespace gossipmonger::node_test {

// Recursive descent over RFC 8259. Strings must be valid UTF-8 (checked by
// decoding); \uXXXX escapes are decoded to UTF-8 (surrogate pairs joined).
class JsonParser {
 public:
  explicit JsonParser(std::string_view text) : text_(text) {}

  std::optional<JsonValue> ParseAll() {
    JsonValue value;
    if (!ParseValue(value, 0)) return std::nullopt;
    SkipBlanks();
    if (pos_ != text_.size()) return std::nullopt;
    return value;
  }

 private:
  static constexpr int kMaxDepth = 64;

  void SkipBlanks() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Eat(char c) {
    SkipBlanks();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseValue(JsonValue& out, int depth) {
    if (depth > kMaxDepth) return false;
    SkipBlanks();
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      out.type_ = JsonValue::Type::kString;
      return ParseString(out.text_);
    }
    if (Literal("true") || Literal("false")) {
      out.type_ = JsonValue::Type::kBool;
      out.boolean_ = c == 't';
      return true;
    }
    if (Literal("null")) return true;
    return ParseNumber(out);
  }

  bool ParseNumber(JsonValue& out) {
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    const std::size_t digits = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
    if (pos_ == digits || (text_[digits] == '0' && pos_ - digits > 1)) return false;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      const std::size_t fraction = ++pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
        ++pos_;
      if (pos_ == fraction) return false;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      const std::size_t exponent = pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
        ++pos_;
      if (pos_ == exponent) return false;
    }
    out.type_ = JsonValue::Type::kNumber;
    out.text_ = std::string(text_.substr(start, pos_ - start));
    return true;
  }

  bool ParseHex4(std::uint32_t& out) {
    if (pos_ + 4 > text_.size()) return false;
    auto [ptr, ec] =
        std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, out, 16);
    if (ec != std::errc() || ptr != text_.data() + pos_ + 4) return false;
    pos_ += 4;
    return true;
  }

  static void AppendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool ParseEscape(std::string& out) {
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_++];
    switch (c) {
      case '"':
        out += '"';
        return true;
      case '\\':
        out += '\\';
        return true;
      case '/':
        out += '/';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    std::uint32_t cp = 0;
    if (!ParseHex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // lone low surrogate
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t low = 0;
      if (!Literal("\\u") || !ParseHex4(low) || low < 0xDC00 || low > 0xDFFF)
        return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(out, cp);
    return true;
  }

  // Raw (unescaped) bytes must be valid UTF-8 and no control characters.
  bool CopyUtf8(std::string& out) {
    const auto lead = static_cast<unsigned char>(text_[pos_]);
    std::size_t length = lead < 0x80                    ? 1
                         : lead >= 0xC2 && lead <= 0xDF ? 2
                         : lead >= 0xE0 && lead <= 0xEF ? 3
                         : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                        : 0;
    if (length == 0 || lead < 0x20 || pos_ + length > text_.size()) return false;
    std::uint32_t cp = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text_[pos_ + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    out.append(text_.substr(pos_, length));
    pos_ += length;
    return true;
  }

  bool ParseString(std::string& out) {
    ++pos_;  // the opening quote
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (!ParseEscape(out)) return false;
      } else if (!CopyUtf8(out)) {
        return false;
      }
    }
    return false;
  }

  bool ParseArray(JsonValue& out, int depth) {
    ++pos_;
    out.type_ = JsonValue::Type::kArray;
    if (Eat(']')) return true;
    do {
      JsonValue element;
      if (!ParseValue(element, depth + 1)) return false;
      out.array_.push_back(std::move(element));
    } while (Eat(','));
    return Eat(']');
  }

  bool ParseObject(JsonValue& out, int depth) {
    ++pos_;
    out.type_ = JsonValue::Type::kObject;
    if (Eat('}')) return true;
    do {
      SkipBlanks();
      std::string name;
      if (pos_ >= text_.size() || text_[pos_] != '"' || !ParseString(name)) return false;
      if (!Eat(':')) return false;
      JsonValue member;
      if (!ParseValue(member, depth + 1)) return false;
      if (!out.object_.emplace(std::move(name), std::move(member)).second) return false;
    } while (Eat(','));
    return Eat('}');
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<JsonValue> JsonValue::Parse(std::string_view text) {
  return JsonParser(text).ParseAll();
}

const JsonValue* JsonValue::Find(const std::string& name) const {
  auto it = object_.find(name);
  return it == object_.end() ? nullptr : &it->second;
}

std::string JsonValue::Str(const std::string& name) const {
  const JsonValue* member = Find(name);
  return member != nullptr && member->is(Type::kString) ? member->text_ : std::string();
}

std::optional<std::uint64_t> JsonValue::Uint(const std::string& name) const {
  const JsonValue* member = Find(name);
  if (member == nullptr || !member->is(Type::kNumber)) return std::nullopt;
  std::uint64_t value = 0;
  const std::string& t = member->text_;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return value;
}

std::optional<bool> JsonValue::Bool(const std::string& name) const {
  const JsonValue* member = Find(name);
  if (member == nullptr || !member->is(Type::kBool)) return std::nullopt;
  return member->boolean_;
}

}  // namespace gossipmonger::node_test
