// JSON-line output of gossipmonger-node: one JSON object per line on
// stdout, written and flushed as each event happens.
//
// Strings are byte strings (keys and values travel as raw bytes). They are
// written as JSON strings: valid UTF-8 passes through, '"', '\\' and the
// control characters U+0000..U+001F are escaped, and every byte that is not
// part of a valid UTF-8 sequence is written as \u00XX (XX: the byte). The
// output is therefore always valid JSON, but that last mapping is lossy: the
// byte 0xE9 and the character U+00E9 print alike.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace gossipmonger::node {

// Appends `bytes` to `out` as a JSON string literal, quotes included.
void AppendJsonString(std::string& out, std::string_view bytes);

// Builds one event object: {"event":NAME,"t_ms":...,<fields>}.
// t_ms is the system clock (milliseconds since the Unix epoch, with a
// microsecond fraction) when the object was started, so that a driver can
// compare events of different processes on one machine.
class JsonLine {
 public:
  explicit JsonLine(std::string_view event);

  JsonLine& Str(std::string_view name, std::string_view value);
  JsonLine& Uint(std::string_view name, std::uint64_t value);
  JsonLine& Bool(std::string_view name, bool value);
  // `json` must already be valid JSON (an array or object built elsewhere).
  JsonLine& Raw(std::string_view name, std::string_view json);

  // The finished object, without a newline.
  std::string Finish() const { return text_ + "}"; }

 private:
  void Name(std::string_view name);
  std::string text_;
};

// Writes finished lines to a stream, one fwrite + fflush each. Used from
// one thread (the io_context's) only.
class LineWriter {
 public:
  explicit LineWriter(std::FILE* out) : out_(out) {}
  void Write(const JsonLine& line);

 private:
  std::FILE* out_;
};

}  // namespace gossipmonger::node
