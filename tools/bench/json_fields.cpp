#include "json_fields.h"

namespace gossipmonger::bench {

nlohmann::json ParseJsonLine(std::string_view line) {
  return nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
}

// find() on a value that is no object finds nothing.
std::optional<std::string> StringField(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<double> NumberField(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string Quoted(std::string_view text) {
  // The bench quotes ids, keys and transport names it made or read as JSON
  // (so valid UTF-8); anything else would become U+FFFD rather than throw.
  return nlohmann::json(text).dump(-1, ' ', false,
                                   nlohmann::json::error_handler_t::replace);
}

}  // namespace gossipmonger::bench
