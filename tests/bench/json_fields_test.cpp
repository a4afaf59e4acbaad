// The bench reads the node's JSON lines and its own records with
// nlohmann-json: typed fields, escapes, fields after nested values.
#include "json_fields.h"

#include <catch2/catch.hpp>

using gossipmonger::bench::NumberField;
using gossipmonger::bench::ParseJsonLine;
using gossipmonger::bench::Quoted;
using gossipmonger::bench::StringField;

TEST_CASE("strings and numbers of a node event are read") {
  const auto line = ParseJsonLine(
      R"({"event":"update","t_ms":1795735727095.645,"peer":"a","key":"k 1","value":"v","version":7})");
  CHECK(StringField(line, "event") == "update");
  CHECK(StringField(line, "key") == "k 1");
  CHECK(NumberField(line, "t_ms") == Approx(1795735727095.645));
  CHECK(NumberField(line, "version") == 7);
}

TEST_CASE("a missing field, or one of another type, is nullopt") {
  const auto line = ParseJsonLine(R"({"event":"stats","messages_sent":3})");
  CHECK_FALSE(StringField(line, "peer").has_value());
  CHECK_FALSE(StringField(line, "messages_sent").has_value());
  CHECK_FALSE(NumberField(line, "event").has_value());
  CHECK(ParseJsonLine("not json").is_discarded());
  CHECK_FALSE(StringField(ParseJsonLine("not json"), "event").has_value());
  CHECK_FALSE(StringField(ParseJsonLine(R"({"event":"unterminated)"), "event"));
  CHECK_FALSE(StringField(ParseJsonLine(R"(["event","update"])"), "event"));
}

TEST_CASE("escapes are undone; \\u00XX gives the character U+00XX") {
  // The node writes a byte that is not UTF-8 as \u00XX; read back, that is
  // the character (docs/node.md: the mapping is lossy). The bench reads only
  // keys and ids it made, which are ASCII.
  const auto line = ParseJsonLine(R"({"value":"q\"b\\n\nt\u0001\u00e9\u20ac"})");
  CHECK(StringField(line, "value") == std::string("q\"b\\n\nt\x01\xc3\xa9\xe2\x82\xac"));
}

TEST_CASE("a name inside a value or a nested object is not a field") {
  const auto line = ParseJsonLine(
      R"({"event":"peers","peers":[{"peer":"x","live":true}],"note":"\"peer\":\"y\"","peer":"z"})");
  CHECK(StringField(line, "peer") == "z");
  CHECK(StringField(line, "live") == std::nullopt);
}

TEST_CASE("quoting round-trips through the reader") {
  const std::string text = "a\"b\\c\n\x02 \xc3\xa9";
  CHECK(StringField(ParseJsonLine("{\"v\":" + Quoted(text) + "}"), "v") == text);
  CHECK(Quoted("node-1/key 7") == "\"node-1/key 7\"");
}
