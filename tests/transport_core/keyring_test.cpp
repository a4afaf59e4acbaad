// The keyring: key text, ids, and the rules of install, use and remove
// (docs/SECURITY.md, "Keys").
#include "gossipmonger/keyring.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using gossipmonger::KeyId;
using gossipmonger::Keyring;
using gossipmonger::SecretKey;
using gossipmonger::StatusCode;

namespace {

SecretKey KeyOf(std::uint8_t fill) {
  SecretKey key;
  key.fill(fill);
  return key;
}

}  // namespace

TEST_CASE("keyring: a key's text is standard padded base64 of 44 characters") {
  SecretKey key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  std::string text = Keyring::FormatKey(key);
  CHECK(text == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  SecretKey parsed{};
  REQUIRE(Keyring::ParseKey(text, &parsed).ok());
  CHECK(parsed == key);

  // A key with bytes that need '+' and '/' in the standard alphabet.
  SecretKey high = KeyOf(0xfb);
  std::string high_text = Keyring::FormatKey(high);
  CHECK(high_text.find_first_of("+/") != std::string::npos);
  REQUIRE(Keyring::ParseKey(high_text, &parsed).ok());
  CHECK(parsed == high);
}

TEST_CASE("keyring: what ParseKey refuses, saying why, and leaves *out alone") {
  const SecretKey before = KeyOf(7);
  std::string good = Keyring::FormatKey(KeyOf(0xfb));
  struct Case {
    std::string text;
    std::string says;
  };
  std::string url_safe = good;
  for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
  std::string bad_char = good;
  bad_char[10] = '*';
  std::string no_pad = good.substr(0, 43) + "A";     // 44 chars, no padding
  std::string bad_bits = good.substr(0, 42) + "/=";  // non-zero final bits
  for (const Case& c : {
           Case{"", "44 characters"},
           Case{good.substr(0, 43), "got 43"},
           Case{good + "=", "got 45"},
           Case{good.substr(0, 40), "got 40"},
           Case{" " + good.substr(1), "character 1"},
           Case{url_safe, "url-safe"},
           Case{bad_char, "character 11"},
           Case{no_pad, "padding"},
           Case{bad_bits, "final bits"},
           Case{std::string(43, 'A') + "=", "zero"},
       }) {
    CAPTURE(c.text);
    SecretKey out = before;
    gossipmonger::Status s = Keyring::ParseKey(c.text, &out);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(c.says));
    CHECK(out == before);
  }
}

TEST_CASE("keyring: generated keys are random, non-zero and round-trip") {
  std::set<SecretKey> seen;
  for (int i = 0; i < 16; ++i) {
    SecretKey key = Keyring::GenerateKey();
    CHECK(seen.insert(key).second);
    SecretKey parsed{};
    REQUIRE(Keyring::ParseKey(Keyring::FormatKey(key), &parsed).ok());
    CHECK(parsed == key);
  }
}

TEST_CASE("keyring: a key's id is the start of BLAKE2b-256, as 16 lowercase hex") {
  // Checked against an independent BLAKE2b: Python's
  // hashlib.blake2b(key, digest_size=32).hexdigest()[:16].
  SecretKey zero{};
  CHECK(Keyring::FormatId(Keyring::IdOf(zero)) == "89eb0d6a8a691dae");
  CHECK(Keyring::FormatId(Keyring::IdOf(KeyOf(1))) == "f40ceaf86e577692");
  KeyId id = Keyring::IdOf(KeyOf(1));
  CHECK(id == Keyring::IdOf(KeyOf(1)));
  CHECK(id != Keyring::IdOf(KeyOf(2)));
  std::string hex =
      Keyring::FormatId(KeyId{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef});
  CHECK(hex == "0123456789abcdef");
}

TEST_CASE("keyring: the first key installed is the primary; Use changes it") {
  Keyring keyring;
  CHECK(keyring.empty());
  CHECK_FALSE(keyring.primary_id().has_value());
  CHECK(keyring.Primary(nullptr) == nullptr);
  CHECK(keyring.List().empty());

  const SecretKey a = KeyOf(1), b = KeyOf(2), c = KeyOf(3);
  const std::string ida = Keyring::FormatId(Keyring::IdOf(a));
  const std::string idb = Keyring::FormatId(Keyring::IdOf(b));
  const std::string idc = Keyring::FormatId(Keyring::IdOf(c));
  REQUIRE(keyring.Install(a).ok());
  REQUIRE(keyring.Install(b).ok());
  REQUIRE(keyring.Install(c).ok());
  CHECK(keyring.Install(b).ok());  // again: ok, nothing changes
  CHECK(keyring.List().size() == 3);
  CHECK(keyring.primary_id() == ida);
  KeyId primary{};
  REQUIRE(keyring.Primary(&primary) != nullptr);
  CHECK(*keyring.Primary(&primary) == a);
  CHECK(primary == Keyring::IdOf(a));

  REQUIRE(keyring.Use(idc).ok());
  CHECK(keyring.primary_id() == idc);
  CHECK(*keyring.Primary(nullptr) == c);
  auto list = keyring.List();  // primary first, then install order
  REQUIRE(list.size() == 3);
  CHECK((list[0].id == idc && list[0].primary));
  CHECK((list[1].id == ida && !list[1].primary));
  CHECK((list[2].id == idb && !list[2].primary));

  // Every key opens: Find knows them all.
  CHECK(*keyring.Find(Keyring::IdOf(a)) == a);
  CHECK(*keyring.Find(Keyring::IdOf(b)) == b);
  CHECK(keyring.Find(Keyring::IdOf(KeyOf(4))) == nullptr);

  // Upper-case ids are accepted too.
  std::string upper = ida;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(ch));
  CHECK(keyring.Use(upper).ok());
  CHECK(keyring.primary_id() == ida);
}

TEST_CASE("keyring: what Install, Use and Remove refuse") {
  Keyring keyring;
  gossipmonger::Status s = keyring.Install(SecretKey{});
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("zero"));
  CHECK(keyring.empty());

  for (std::uint8_t i = 1; i <= Keyring::kMaxKeys; ++i)
    REQUIRE(keyring.Install(KeyOf(i)).ok());
  s = keyring.Install(KeyOf(100));
  CHECK(s.code() == StatusCode::kLimitExceeded);
  CHECK(keyring.List().size() == Keyring::kMaxKeys);
  CHECK(keyring.Install(KeyOf(3)).ok());  // already there: not over the limit

  const std::string unknown = Keyring::FormatId(Keyring::IdOf(KeyOf(100)));
  for (const char* bad_id : {"", "0123", "0123456789abcdeg", "0123456789abcdef0"}) {
    CAPTURE(bad_id);
    CHECK_THAT(keyring.Use(bad_id).message(), Catch::Contains("16 hex digits"));
    CHECK(keyring.Remove(bad_id).code() == StatusCode::kInvalidArgument);
  }
  s = keyring.Use(unknown);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains(unknown));
  CHECK(keyring.Remove(unknown).code() == StatusCode::kInvalidArgument);

  const std::string primary = *keyring.primary_id();
  s = keyring.Remove(primary);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("primary"));
  CHECK(keyring.List().size() == Keyring::kMaxKeys);
}

TEST_CASE("keyring: Remove keeps the primary and the order of the others") {
  Keyring keyring;
  const SecretKey a = KeyOf(1), b = KeyOf(2), c = KeyOf(3), d = KeyOf(4);
  for (const SecretKey& key : {a, b, c, d}) REQUIRE(keyring.Install(key).ok());
  REQUIRE(keyring.Use(Keyring::FormatId(Keyring::IdOf(c))).ok());
  // Remove one before the primary and one after it.
  REQUIRE(keyring.Remove(Keyring::FormatId(Keyring::IdOf(a))).ok());
  REQUIRE(keyring.Remove(Keyring::FormatId(Keyring::IdOf(d))).ok());
  CHECK(*keyring.Primary(nullptr) == c);
  auto list = keyring.List();
  REQUIRE(list.size() == 2);
  CHECK(list[0].id == Keyring::FormatId(Keyring::IdOf(c)));
  CHECK(list[1].id == Keyring::FormatId(Keyring::IdOf(b)));
  CHECK(keyring.Find(Keyring::IdOf(a)) == nullptr);
  CHECK(keyring.Find(Keyring::IdOf(d)) == nullptr);
  CHECK(*keyring.Find(Keyring::IdOf(b)) == b);
  // A removed key can come back, as a non-primary.
  REQUIRE(keyring.Install(a).ok());
  CHECK(*keyring.Primary(nullptr) == c);
  CHECK(keyring.List().back().id == Keyring::FormatId(Keyring::IdOf(a)));
}
