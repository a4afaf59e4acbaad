// The node's stdout lines read with nlohmann-json, strictly: each must be
// exactly one JSON object, so the tests also check that the node's output
// is valid JSON (escapes, UTF-8, which nlohmann's parser checks) and names
// no member twice. Numbers keep 64-bit versions exact (number_unsigned).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace gossipmonger::node_test {

using JsonValue = nlohmann::json;

// nullopt if `line` is not exactly one valid JSON object with unique member
// names (blanks around it allowed).
std::optional<JsonValue> ParseEvent(const std::string& line);

// Member `name` as a string / unsigned / bool; "" / nullopt if absent or of
// another type.
std::string Str(const JsonValue& event, const char* name);
std::optional<std::uint64_t> Uint(const JsonValue& event, const char* name);
std::optional<bool> Bool(const JsonValue& event, const char* name);
// Member `name` if it is an array, else nullptr.
const JsonValue* Array(const JsonValue& event, const char* name);

}  // namespace gossipmonger::node_test
