#include "node/json_event.h"

#include <set>
#include <vector>

namespace gossipmonger::node_test {

std::optional<JsonValue> ParseEvent(const std::string& line) {
  // nlohmann keeps the last of two same-named members: catch them here.
  std::vector<std::set<std::string>> names;  // of every open object
  bool duplicate = false;
  const JsonValue::parser_callback_t check = [&](int, JsonValue::parse_event_t event,
                                                 JsonValue& parsed) {
    if (event == JsonValue::parse_event_t::object_start) names.emplace_back();
    if (event == JsonValue::parse_event_t::object_end) names.pop_back();
    if (event == JsonValue::parse_event_t::key)
      duplicate = duplicate || !names.back().insert(parsed.get<std::string>()).second;
    return true;
  };
  JsonValue value = JsonValue::parse(line, check, /*allow_exceptions=*/false);
  if (value.is_discarded() || duplicate || !value.is_object()) return std::nullopt;
  return value;
}

std::string Str(const JsonValue& event, const char* name) {
  const auto it = event.find(name);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::uint64_t> Uint(const JsonValue& event, const char* name) {
  const auto it = event.find(name);
  if (it == event.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::optional<bool> Bool(const JsonValue& event, const char* name) {
  const auto it = event.find(name);
  if (it == event.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

const JsonValue* Array(const JsonValue& event, const char* name) {
  const auto it = event.find(name);
  return it != event.end() && it->is_array() ? &*it : nullptr;
}

}  // namespace gossipmonger::node_test
