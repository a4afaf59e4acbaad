// A small strict JSON reader for the node tests: every line gossipmonger-node
// prints must parse here, so the tests also check that the output is valid
// JSON (escapes, UTF-8). Numbers keep their text so that 64-bit versions
// compare exactly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gossipmonger::node_test {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // nullopt if `text` is not exactly one valid JSON value (blanks around it
  // allowed).
  static std::optional<JsonValue> Parse(std::string_view text);

  Type type() const { return type_; }
  bool is(Type type) const { return type_ == type; }
  // Member `name` of an object, or nullptr (also when this is no object).
  const JsonValue* Find(const std::string& name) const;
  // Member `name` as a string / unsigned / bool; "" / nullopt if absent or of
  // another type.
  std::string Str(const std::string& name) const;
  std::optional<std::uint64_t> Uint(const std::string& name) const;
  std::optional<bool> Bool(const std::string& name) const;

  const std::string& string() const {
    return text_;
  }  // kString: decoded; kNumber: its text
  bool boolean() const { return boolean_; }
  const std::vector<JsonValue>& array() const { return array_; }
  const std::map<std::string, JsonValue>& object() const { return object_; }

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool boolean_ = false;
  std::string text_;
  std::vector<JsonValue> array_;
  std::map<std::string, JsonValue> object_;
};

}  // namespace gossipmonger::node_test
