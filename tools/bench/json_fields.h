// The bench's JSON, on nlohmann-json: it reads the nodes' event lines and
// its own log records, and quotes the strings of the records it writes.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace gossipmonger::bench {

// `line` parsed; a discarded value (is_discarded()) if it is not JSON.
nlohmann::json ParseJsonLine(std::string_view line);

// Member `name` of `object` if it is a string / a number; nullopt if it is
// absent or of another type, or if `object` is no object.
std::optional<std::string> StringField(const nlohmann::json& object, const char* name);
std::optional<double> NumberField(const nlohmann::json& object, const char* name);

// `text` as a JSON string literal, quotes included.
std::string Quoted(std::string_view text);

}  // namespace gossipmonger::bench
