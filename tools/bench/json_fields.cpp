#include "json_fields.h"

#include <cstdlib>

namespace gossipmonger::bench {
namespace {

// A cursor over one line; every Read* returns false on malformed input.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool Eat(char c) {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool ReadString(std::string& out);
  // The raw text of a scalar value (number, true, false, null).
  std::string_view ReadScalar();
  bool SkipValue();

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool ReadEscape(std::string& out);
  std::string_view text_;
  std::size_t pos_ = 0;
};

void AppendUtf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

bool Scanner::ReadEscape(std::string& out) {
  if (pos_ >= text_.size()) return false;
  const char c = text_[pos_++];
  switch (c) {
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case '"':
    case '\\':
    case '/':
      out += c;
      return true;
    case 'u':
      break;
    default:
      return false;
  }
  if (pos_ + 4 > text_.size()) return false;
  const std::string hex(text_.substr(pos_, 4));
  char* end = nullptr;
  const unsigned long code = std::strtoul(hex.c_str(), &end, 16);
  if (end != hex.c_str() + 4) return false;
  pos_ += 4;
  // The node writes a byte that is not UTF-8 as \u00XX: give the byte back.
  if (code < 0x100) {
    out += static_cast<char>(code);
  } else {
    AppendUtf8(out, static_cast<unsigned>(code));
  }
  return true;
}

bool Scanner::ReadString(std::string& out) {
  if (!Eat('"')) return false;
  out.clear();
  while (pos_ < text_.size()) {
    const char c = text_[pos_++];
    if (c == '"') return true;
    if (c != '\\') {
      out += c;
    } else if (!ReadEscape(out)) {
      return false;
    }
  }
  return false;
}

std::string_view Scanner::ReadScalar() {
  SkipSpace();
  const std::size_t start = pos_;
  while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' &&
         text_[pos_] != ']' && text_[pos_] != ' ') {
    ++pos_;
  }
  return text_.substr(start, pos_ - start);
}

bool Scanner::SkipValue() {
  std::string ignored;
  if (Peek('"')) return ReadString(ignored);
  const bool object = Peek('{');
  if (!object && !Peek('[')) return !ReadScalar().empty();
  Eat(object ? '{' : '[');
  const char close = object ? '}' : ']';
  if (Eat(close)) return true;
  do {
    if (object && (!ReadString(ignored) || !Eat(':'))) return false;
    if (!SkipValue()) return false;
  } while (Eat(','));
  return Eat(close);
}

// Positions `scanner` on the value of top-level field `name`.
bool FindField(Scanner& scanner, std::string_view name) {
  if (!scanner.Eat('{')) return false;
  std::string key;
  while (scanner.ReadString(key) && scanner.Eat(':')) {
    if (key == name) return true;
    if (!scanner.SkipValue() || !scanner.Eat(',')) return false;
  }
  return false;
}

}  // namespace

std::optional<std::string> JsonString(std::string_view line, std::string_view name) {
  Scanner scanner(line);
  std::string value;
  if (!FindField(scanner, name) || !scanner.ReadString(value)) return std::nullopt;
  return value;
}

std::optional<double> JsonNumber(std::string_view line, std::string_view name) {
  Scanner scanner(line);
  if (!FindField(scanner, name) || scanner.Peek('"')) return std::nullopt;
  const std::string text(scanner.ReadScalar());
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

void AppendJsonQuoted(std::string& out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace gossipmonger::bench
