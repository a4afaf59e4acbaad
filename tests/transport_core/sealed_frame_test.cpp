// The sealed frame (docs/SECURITY.md, "The sealed frame"): round trips,
// the exact overhead, and every way a frame is refused. msgpack-c's generic
// unpacker is the independent reader of the outer layout.
#include "transport_core/sealed_frame.h"

#include <catch2/catch.hpp>
#include <msgpack.hpp>
#include <string>

using gossipmonger::KeyId;
using gossipmonger::Keyring;
using gossipmonger::SecretKey;
using gossipmonger::transport_core::LooksSealed;
using gossipmonger::transport_core::MaxSealOverhead;
using gossipmonger::transport_core::Open;
using gossipmonger::transport_core::OpenOutcome;
using gossipmonger::transport_core::Seal;
using gossipmonger::transport_core::SealHeader;
using gossipmonger::transport_core::SealOverhead;

namespace {

SecretKey KeyOf(std::uint8_t fill) {
  SecretKey key;
  key.fill(fill);
  return key;
}

// A keyring holding KeyOf(1) (the primary) and KeyOf(2).
struct Fixture {
  Keyring keyring;
  SecretKey key = KeyOf(1);
  KeyId id = Keyring::IdOf(KeyOf(1));
  SealHeader header{1'700'000'000'000'000, 42, 1'700'000'000'123};

  Fixture() {
    REQUIRE(keyring.Install(KeyOf(1)).ok());
    REQUIRE(keyring.Install(KeyOf(2)).ok());
  }

  std::string SealOf(std::string_view envelope, std::string_view cluster = "prod") const {
    std::string out;
    Seal(key, id, cluster, header, envelope, out);
    return out;
  }

  OpenOutcome OpenOf(std::string_view frame, std::string_view cluster = "prod") const {
    SealHeader h;
    std::string envelope;
    KeyId key_id{};
    return Open(keyring, cluster, frame, &h, &envelope, &key_id);
  }
};

std::string Envelope(std::size_t size) {
  std::string envelope(size, '\0');
  for (std::size_t i = 0; i < size; ++i) envelope[i] = static_cast<char>(i * 7 + 1);
  return envelope;
}

}  // namespace

TEST_CASE("sealed frame: round trip, exact overhead, layout as msgpack reads it") {
  Fixture f;
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{64 * 1024}}) {
    CAPTURE(size);
    const std::string envelope = Envelope(size);
    std::string frame = "prefix";  // Seal appends
    Seal(f.key, f.id, "prod", f.header, envelope, frame);
    REQUIRE(frame.substr(0, 6) == "prefix");
    frame.erase(0, 6);
    CHECK(frame.size() == size + SealOverhead(size));
    CHECK(LooksSealed(frame));

    msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
    const msgpack::object& o = handle.get();
    REQUIRE(o.type == msgpack::type::ARRAY);
    REQUIRE(o.via.array.size == 4);
    CHECK(o.via.array.ptr[0].as<std::string>() == "gs");
    REQUIRE(o.via.array.ptr[1].type == msgpack::type::BIN);
    CHECK(o.via.array.ptr[1].via.bin.size == 8);
    CHECK(std::memcmp(o.via.array.ptr[1].via.bin.ptr, f.id.data(), 8) == 0);
    REQUIRE(o.via.array.ptr[2].type == msgpack::type::BIN);
    CHECK(o.via.array.ptr[2].via.bin.size == 24);
    REQUIRE(o.via.array.ptr[3].type == msgpack::type::BIN);
    CHECK(o.via.array.ptr[3].via.bin.size == 24 + size + 16);  // header, envelope, tag

    SealHeader header;
    std::string opened;
    KeyId key_id{};
    REQUIRE(Open(f.keyring, "prod", frame, &header, &opened, &key_id) ==
            OpenOutcome::kOpened);
    CHECK(opened == envelope);
    CHECK(key_id == f.id);
    CHECK(header.epoch == f.header.epoch);
    CHECK(header.counter == f.header.counter);
    CHECK(header.sent_at_ms == f.header.sent_at_ms);
  }
}

TEST_CASE("sealed frame: the overhead by box size class") {
  // 40 bytes of headers before the box, the box's bin header (2, 3 or 5),
  // 24 bytes of seal header and a 16-byte tag inside it.
  CHECK(SealOverhead(0) == 82);
  CHECK(SealOverhead(215) == 82);  // box 255: bin 8
  CHECK(SealOverhead(216) == 83);  // box 256: bin 16
  CHECK(SealOverhead(65'495) == 83);
  CHECK(SealOverhead(65'496) == 85);  // box 65,536: bin 32
  CHECK(MaxSealOverhead(1400) == 83);
  CHECK(MaxSealOverhead(1 << 20) == 85);
  CHECK(MaxSealOverhead(100) == 82);
}

TEST_CASE("sealed frame: LooksSealed tells a sealed frame from an envelope") {
  CHECK(LooksSealed(std::string("\x94\xa2gs", 4)));
  CHECK_FALSE(LooksSealed(std::string("\x97\xa2gm\x01", 5)));
  CHECK_FALSE(LooksSealed(std::string("\x94\xa2g", 3)));
  CHECK_FALSE(LooksSealed(""));
}

TEST_CASE("sealed frame: two seals of the same input differ (random nonce)") {
  Fixture f;
  const std::string a = f.SealOf("same"), b = f.SealOf("same");
  CHECK(a.size() == b.size());
  CHECK(a.substr(16, 24) != b.substr(16, 24));  // the nonces
  CHECK(a != b);
}

TEST_CASE("sealed frame: every single-bit flip is refused") {
  Fixture f;
  const std::string frame = f.SealOf(Envelope(100));
  REQUIRE(f.OpenOf(frame) == OpenOutcome::kOpened);
  for (std::size_t byte = 0; byte < frame.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = frame;
      flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << bit));
      CAPTURE(byte, bit);
      OpenOutcome outcome = f.OpenOf(flipped);
      CHECK(outcome != OpenOutcome::kOpened);
      if (byte >= 6 && byte < 14) CHECK(outcome == OpenOutcome::kUnknownKey);  // the id
      if (byte >= 42) CHECK(outcome == OpenOutcome::kUnauthentic);             // the box
    }
  }
}

TEST_CASE("sealed frame: wrong key, unknown id, other cluster") {
  Fixture f;
  // Sealed with KeyOf(3) under KeyOf(1)'s id: the id is known, the box does
  // not open.
  std::string wrong_key;
  Seal(KeyOf(3), f.id, "prod", f.header, "x", wrong_key);
  CHECK(f.OpenOf(wrong_key) == OpenOutcome::kUnauthentic);

  std::string unknown;
  const KeyId other_id = Keyring::IdOf(KeyOf(3));
  Seal(KeyOf(3), other_id, "prod", f.header, "x", unknown);
  SealHeader header;
  std::string envelope;
  KeyId key_id{};
  CHECK(Open(f.keyring, "prod", unknown, &header, &envelope, &key_id) ==
        OpenOutcome::kUnknownKey);
  CHECK(key_id == other_id);  // for the report

  CHECK(f.OpenOf(f.SealOf("x", "prod"), "staging") == OpenOutcome::kUnauthentic);
  CHECK(f.OpenOf(f.SealOf("x", "prod"), "prod2") == OpenOutcome::kUnauthentic);
  CHECK(f.OpenOf(f.SealOf("x", ""), "") == OpenOutcome::kOpened);

  // Every key of the keyring opens, not only the primary.
  std::string second;
  Seal(KeyOf(2), Keyring::IdOf(KeyOf(2)), "prod", f.header, "x", second);
  CHECK(f.OpenOf(second) == OpenOutcome::kOpened);
}

TEST_CASE("sealed frame: truncations and extensions never open, never crash") {
  Fixture f;
  for (std::size_t size : {std::size_t{0}, std::size_t{100}, std::size_t{300}}) {
    const std::string frame = f.SealOf(Envelope(size));
    for (std::size_t length = 0; length < frame.size(); ++length) {
      CAPTURE(size, length);
      OpenOutcome outcome = f.OpenOf(std::string_view(frame).substr(0, length));
      CHECK((outcome == OpenOutcome::kMalformed || outcome == OpenOutcome::kUnauthentic));
    }
    CHECK(f.OpenOf(frame + '\0') == OpenOutcome::kMalformed);  // a trailing byte
  }
}

TEST_CASE("sealed frame: other msgpack forms of the headers are malformed") {
  Fixture f;
  const std::string frame = f.SealOf(Envelope(10));  // box 50: bin 8
  REQUIRE(frame.substr(40, 2) == std::string("\xc4\x32", 2));
  auto replace = [&](std::size_t at, std::size_t length, std::string_view with) {
    std::string changed = frame;
    changed.replace(at, length, with);
    return changed;
  };
  using namespace std::string_literals;
  CHECK(f.OpenOf(replace(4, 2, "\xc5\x00\x08"s)) ==
        OpenOutcome::kMalformed);  // id bin 16
  CHECK(f.OpenOf(replace(14, 2, "\xc6\x00\x00\x00\x18"s)) == OpenOutcome::kMalformed);
  CHECK(f.OpenOf(replace(40, 2, "\xc5\x00\x32"s)) ==
        OpenOutcome::kMalformed);  // box bin 16
  CHECK(f.OpenOf(replace(40, 2, "\xc6\x00\x00\x00\x32"s)) == OpenOutcome::kMalformed);
  CHECK(f.OpenOf(replace(40, 2, "\xa0"s)) == OpenOutcome::kMalformed);  // not a bin
  CHECK(f.OpenOf(replace(0, 1, "\xdc\x00\x04"s)) == OpenOutcome::kMalformed);  // array 16
  CHECK(f.OpenOf(replace(1, 3, "\xd9\x02gs"s)) == OpenOutcome::kMalformed);    // str 8
  CHECK(f.OpenOf(replace(5, 1, "\x07"s)) == OpenOutcome::kMalformed);   // id of 7 bytes
  CHECK(f.OpenOf(replace(15, 1, "\x17"s)) == OpenOutcome::kMalformed);  // nonce of 23
  // A box too short to hold the seal header and the tag.
  std::string short_box = frame.substr(0, 40) + "\xc4\x27"s + std::string(39, 'x');
  CHECK(f.OpenOf(short_box) == OpenOutcome::kMalformed);
  std::string empty_box = frame.substr(0, 40) + "\xc4\x00"s;
  CHECK(f.OpenOf(empty_box) == OpenOutcome::kMalformed);
  // The smallest well-formed box (header and tag, no envelope) only fails
  // to authenticate.
  std::string forged = frame.substr(0, 40) + "\xc4\x28"s + std::string(40, 'x');
  CHECK(f.OpenOf(forged) == OpenOutcome::kUnauthentic);
}

TEST_CASE("sealed frame: the box's bin 16 and bin 32 forms when they are the smallest") {
  Fixture f;
  for (std::size_t size :
       {std::size_t{215}, std::size_t{216}, std::size_t{65'495}, std::size_t{65'496}}) {
    CAPTURE(size);
    const std::string envelope = Envelope(size);
    const std::string frame = f.SealOf(envelope);
    CHECK(frame.size() == size + SealOverhead(size));
    SealHeader header;
    std::string opened;
    KeyId key_id{};
    REQUIRE(Open(f.keyring, "prod", frame, &header, &opened, &key_id) ==
            OpenOutcome::kOpened);
    CHECK(opened == envelope);
  }
}

namespace {

std::string FromHex(std::string_view hex) {
  std::string bytes;
  unsigned value = 0;
  int digits = 0;
  for (char c : hex) {
    if (c == ' ' || c == '\n') continue;
    value = value * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10);
    if (++digits == 2) {
      bytes.push_back(static_cast<char>(value));
      value = 0;
      digits = 0;
    }
  }
  return bytes;
}

}  // namespace

TEST_CASE("sealed frame: the worked example of docs/PROTOCOL.md section 10 opens") {
  // Computed with libsodium's crypto_aead_xchacha20poly1305_ietf_encrypt
  // called directly, with the nonce a0 a1 ... b7 (Seal draws it at random).
  const std::string frame = FromHex(
      "94 a2 67 73 c4 08 cb 2f 51 60 fc 1f 7e 05 c4 18"
      "a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af"
      "b0 b1 b2 b3 b4 b5 b6 b7 c4 71 45 ea 00 39 af 43"
      "e4 ac 61 6f 2d 89 71 30 a3 c0 3b aa 9e a7 65 e3"
      "a2 23 8a e2 ec 8a e6 a1 5a 46 a3 e8 ce 8e 24 eb"
      "4d fc 8b db 40 66 b5 06 95 19 9c 12 10 6a da fa"
      "44 06 9b 79 64 b9 d8 21 bf 82 4a 70 72 dd cf eb"
      "68 3d 08 f8 eb 0e b6 38 6f 8e a8 c7 4b db b3 61"
      "d4 6e 30 81 e2 03 e5 3b 72 30 0f 76 f3 79 54 6d"
      "fb ae 78 13 65 ef d1 19 bd 8f 24");
  // The envelope of section 8.
  const std::string envelope = FromHex(
      "97 a2 67 6d 01 02 a4 70 72 6f 64 a1 62 ad 31 30"
      "2e 30 2e 30 2e 32 3a 37 39 34 36 93 00 92 94 a1"
      "61 ce 65 53 f1 00 cd 01 2c 02 94 a1 63 00 00 00"
      "91 94 a1 62 ce 65 53 f1 64 a0 91 93 a5 63 6f 6c"
      "6f 72 c4 04 72 65 64 00 05");
  REQUIRE(frame.size() == 155);
  REQUIRE(frame.size() == envelope.size() + SealOverhead(envelope.size()));
  SecretKey key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  Keyring keyring;
  REQUIRE(keyring.Install(key).ok());
  CHECK(keyring.primary_id() == "cb2f5160fc1f7e05");
  CHECK(Keyring::FormatKey(key) == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");

  SealHeader header;
  std::string opened;
  KeyId id{};
  REQUIRE(Open(keyring, "prod", frame, &header, &opened, &id) == OpenOutcome::kOpened);
  CHECK(opened == envelope);
  CHECK(header.epoch == 1'700'000'000'000'000);
  CHECK(header.counter == 0);
  CHECK(header.sent_at_ms == 1'700'000'000'250);
  CHECK(Open(keyring, "dev", frame, &header, &opened, &id) == OpenOutcome::kUnauthentic);
}
