// The field extractor reads the node's flat JSON lines, including escapes
// and fields after nested values.
#include "json_fields.h"

#include <catch2/catch.hpp>

using gossipmonger::bench::AppendJsonQuoted;
using gossipmonger::bench::JsonNumber;
using gossipmonger::bench::JsonString;

TEST_CASE("strings and numbers of a node event are read") {
  const std::string line =
      R"({"event":"update","t_ms":1795735727095.645,"peer":"a","key":"k 1","value":"v","version":7})";
  CHECK(JsonString(line, "event") == "update");
  CHECK(JsonString(line, "key") == "k 1");
  CHECK(JsonNumber(line, "t_ms") == Approx(1795735727095.645));
  CHECK(JsonNumber(line, "version") == 7);
}

TEST_CASE("a missing field, or one of another type, is nullopt") {
  const std::string line = R"({"event":"stats","messages_sent":3})";
  CHECK_FALSE(JsonString(line, "peer").has_value());
  CHECK_FALSE(JsonString(line, "messages_sent").has_value());
  CHECK_FALSE(JsonNumber(line, "event").has_value());
  CHECK_FALSE(JsonString("not json", "event").has_value());
  CHECK_FALSE(JsonString(R"({"event":"unterminated)", "event").has_value());
}

TEST_CASE("escapes are undone; \\u00XX gives the byte back") {
  const std::string line = R"({"value":"q\"b\\n\nt\u0001\u00e9\u20ac"})";
  CHECK(JsonString(line, "value") == std::string("q\"b\\n\nt\x01\xe9\xe2\x82\xac"));
}

TEST_CASE("a name inside a value or a nested object is not a field") {
  const std::string line =
      R"({"event":"peers","peers":[{"peer":"x","live":true}],"note":"\"peer\":\"y\"","peer":"z"})";
  CHECK(JsonString(line, "peer") == "z");
  CHECK(JsonString(line, "live") == std::nullopt);
}

TEST_CASE("quoting round-trips through the extractor") {
  std::string line = "{\"v\":";
  AppendJsonQuoted(line, "a\"b\\c\n\x02");
  line += "}";
  CHECK(JsonString(line, "v") == "a\"b\\c\n\x02");
}
