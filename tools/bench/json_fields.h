// Reads fields of one flat JSON object, as gossipmonger-node prints them
// (one object per line; values are strings, numbers, booleans, or arrays and
// objects that are skipped). Not a general JSON parser: enough to read the
// node's events and the bench's own log records.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gossipmonger::bench {

// The top-level string field `name`, unescaped (\u00XX gives the byte XX,
// other \uXXXX their UTF-8). nullopt if absent, not a string or malformed.
std::optional<std::string> JsonString(std::string_view line, std::string_view name);

// The top-level number field `name`. nullopt if absent or not a number.
std::optional<double> JsonNumber(std::string_view line, std::string_view name);

// Appends `text` as a JSON string literal (quotes included). Bytes >= 0x80
// are passed through: the bench writes only what it read or made.
void AppendJsonQuoted(std::string& out, std::string_view text);

}  // namespace gossipmonger::bench
