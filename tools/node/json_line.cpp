#include "json_line.h"

#include <chrono>
#include <utility>

namespace gossipmonger::node {
namespace {

// Length of the valid UTF-8 sequence starting at bytes[i], or 0 if none
// does (stray continuation byte, overlong form, surrogate, > U+10FFFF,
// truncated sequence).
std::size_t Utf8SequenceLength(std::string_view bytes, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  const unsigned char lead = byte(i);
  std::size_t length;
  unsigned char low = 0x80;  // bounds of the second byte
  unsigned char high = 0xBF;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + length > bytes.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// The two-character escape of `c`, or nullptr if it has none here.
const char* ShortEscape(unsigned char c) {
  static const std::pair<unsigned char, const char*> kEscapes[] = {
      {'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"}, {'\r', "\\r"}, {'\t', "\\t"}};
  for (const auto& [from, to] : kEscapes) {
    if (c == from) return to;
  }
  return nullptr;
}

void AppendEscapedByte(std::string& out, unsigned char c) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

double NowMs() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<double>(
             std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count()) /
         1000.0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view bytes) {
  out += '"';
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const std::size_t length = c < 0x20 ? 0 : Utf8SequenceLength(bytes, i);
    if (const char* escape = ShortEscape(c)) {
      out += escape;
    } else if (length == 0) {
      AppendEscapedByte(out, c);  // a control character, or not UTF-8 (lossy)
    } else {
      out.append(bytes.substr(i, length));
      i += length;
      continue;
    }
    ++i;
  }
  out += '"';
}

JsonLine::JsonLine(std::string_view event) {
  text_ = "{\"event\":";
  AppendJsonString(text_, event);
  char t_ms[48];
  std::snprintf(t_ms, sizeof t_ms, ",\"t_ms\":%.3f", NowMs());
  text_ += t_ms;
}

void JsonLine::Name(std::string_view name) {
  text_ += ',';
  AppendJsonString(text_, name);
  text_ += ':';
}

JsonLine& JsonLine::Str(std::string_view name, std::string_view value) {
  Name(name);
  AppendJsonString(text_, value);
  return *this;
}

JsonLine& JsonLine::Uint(std::string_view name, std::uint64_t value) {
  Name(name);
  text_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::Bool(std::string_view name, bool value) {
  Name(name);
  text_ += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::Raw(std::string_view name, std::string_view json) {
  Name(name);
  text_ += json;
  return *this;
}

void LineWriter::Write(const JsonLine& line) {
  const std::string text = line.Finish() + "\n";
  // A failed write (stdout closed) is not worth dying for: the node keeps
  // gossiping, as a daemon whose log went away would.
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

}  // namespace gossipmonger::node
