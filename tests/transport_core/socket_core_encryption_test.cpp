// The transport core's encryption without sockets (docs/SECURITY.md): the
// checks of SetEncryption and Listen, the reservation in MaxBodyBytes, every
// cell of the mode table, refusals by key, tag, cluster, replay and clock,
// and the rate limit of their reports.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gossipmonger/wire_size.h"
#include "transport_core/fake_core.h"
#include "transport_core/sealed_frame.h"

using namespace gossipmonger;
using gossipmonger::testing_core::FakeCore;
using gossipmonger::testing_core::From;
using gossipmonger::testing_core::kPayload;
using gossipmonger::testing_core::Sample;
using gossipmonger::testing_core::WithValue;
using Decoding = FakeCore::Decoding;

namespace {

std::shared_ptr<Keyring> RingOf(std::vector<SecretKey> keys) {
  auto ring = std::make_shared<Keyring>();
  for (const SecretKey& key : keys) REQUIRE(ring->Install(key).ok());
  return ring;
}

SocketTransportOptions Encrypted(std::shared_ptr<Keyring> ring, Encryption mode,
                                 const std::string& cluster = "gossipmonger") {
  SocketTransportOptions options;
  options.keyring = std::move(ring);
  options.encryption = mode;
  options.cluster = cluster;
  return options;
}

// What `sender` puts on the wire for `sample`.
std::string WireOf(FakeCore& sender, const Sample& sample) {
  std::string out;
  REQUIRE(sender.EncodeWithin({"r", "127.0.0.1:1"}, sample.message, out));
  return out;
}

bool Said(const FakeCore& core, std::size_t i, const std::string& text) {
  return i < core.errors.size() &&
         core.errors[i].code() == StatusCode::kUnauthenticated &&
         core.errors[i].message().find(text) != std::string::npos;
}

const Encryption kModes[] = {Encryption::kOff, Encryption::kAccept, Encryption::kSend,
                             Encryption::kRequire};

}  // namespace

TEST_CASE("encryption: SetEncryption and Listen refuse what cannot work") {
  asio::io_context io;
  FakeCore plain(io, SocketTransportOptions{});  // no keyring: plaintext for life
  CHECK(plain.encryption() == Encryption::kOff);
  for (Encryption mode : kModes) {
    const Status s = plain.SetEncryption(mode);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message().find("fake transport: encryption '") == 0);
    CHECK(s.message().find("no keyring") != std::string::npos);
  }
  CHECK(plain.Listen().ok());  // the default kRequire means nothing without one

  FakeCore empty(io, Encrypted(RingOf({}), Encryption::kRequire));
  CHECK(empty.encryption() == Encryption::kRequire);
  const Status listen = empty.Listen();
  CHECK(listen.code() == StatusCode::kInvalidArgument);
  CHECK(listen.message().find("keyring is empty") != std::string::npos);
  CHECK(empty.SetEncryption(Encryption::kSend).code() == StatusCode::kInvalidArgument);
  CHECK(empty.encryption() == Encryption::kRequire);  // unchanged by a refusal
  REQUIRE(empty.SetEncryption(Encryption::kAccept).ok());
  CHECK(empty.encryption() == Encryption::kAccept);
  CHECK(empty.Listen().ok());
  // Nothing to seal with: refused and reported, never sent in plaintext.
  FakeCore unsealable(io, Encrypted(RingOf({}), Encryption::kSend));
  std::string out;
  CHECK_FALSE(unsealable.EncodeWithin({"r", "127.0.0.1:1"}, WithValue(1).message, out));
  CHECK(out.empty());
  CHECK(unsealable.errors.size() == 1);

  const auto ring = RingOf({});
  FakeCore later(io, Encrypted(ring, Encryption::kOff));
  REQUIRE(ring->Install(Keyring::GenerateKey()).ok());
  CHECK(later.SetEncryption(Encryption::kRequire).ok());
  CHECK(later.Listen().ok());
}

TEST_CASE("encryption: MaxBodyBytes reserves the largest seal with a keyring only") {
  asio::io_context io;
  FakeCore plain(io, SocketTransportOptions{});
  const std::size_t overhead = transport_core::MaxSealOverhead(kPayload);
  CHECK(overhead > 0);
  for (Encryption mode : kModes) {
    // Whatever the mode: a running cluster may turn encryption on.
    FakeCore sealing(io, Encrypted(RingOf({Keyring::GenerateKey()}), mode));
    CHECK(sealing.max_body_bytes() == plain.max_body_bytes() - overhead);
  }
}

TEST_CASE("encryption: a full-budget message sealed fits the payload") {
  asio::io_context io;
  FakeCore core(io, Encrypted(RingOf({Keyring::GenerateKey()}), Encryption::kRequire));
  Sample sample = WithValue(0);
  const Limits limits;
  sample.message.sender = {std::string(limits.max_peer_id_bytes, 'i'),
                           std::string(limits.max_address_bytes, 'a')};
  std::string& value = sample.message.deltas[0].deltas[0].value;
  while (wire_size::Body(sample.message) < core.max_body_bytes()) value += 'v';
  if (wire_size::Body(sample.message) > core.max_body_bytes()) value.pop_back();
  CHECK(core.max_body_bytes() - wire_size::Body(sample.message) <= 2);
  std::string out;
  REQUIRE(core.EncodeWithin({"r", "127.0.0.1:1"}, sample.message, out));
  CHECK(transport_core::LooksSealed(out));
  CHECK(out.size() <= kPayload);
}

TEST_CASE("encryption: every cell of the mode table") {
  asio::io_context io;
  const auto ring = RingOf({Keyring::GenerateKey()});
  FakeCore plain_sender(io, Encrypted(ring, Encryption::kAccept));
  FakeCore sealing_sender(io, Encrypted(ring, Encryption::kSend));
  const Sample sample = WithValue(20);
  CHECK(WireOf(plain_sender, sample) == sample.encoded);
  CHECK(transport_core::LooksSealed(WireOf(sealing_sender, sample)));

  struct Cell {
    Encryption mode;
    bool plaintext_accepted;
    bool sealed_accepted;
  };
  for (const Cell cell :
       {Cell{Encryption::kOff, true, false}, Cell{Encryption::kAccept, true, true},
        Cell{Encryption::kSend, true, true}, Cell{Encryption::kRequire, false, true}}) {
    CAPTURE(static_cast<int>(cell.mode));
    FakeCore receiver(io, Encrypted(ring, cell.mode));
    CHECK((receiver.DecodeAndDeliver(WireOf(plain_sender, sample), From("x:1"),
                                     "dropped") == Decoding::kMessage) ==
          cell.plaintext_accepted);
    CHECK((receiver.DecodeAndDeliver(WireOf(sealing_sender, sample), From("x:1"),
                                     "dropped") == Decoding::kMessage) ==
          cell.sealed_accepted);
    const std::size_t accepted = cell.plaintext_accepted + cell.sealed_accepted;
    REQUIRE(receiver.messages.size() == accepted);
    for (const Message& m : receiver.messages) CHECK(m == sample.message);
    const SocketTransportStats& stats = receiver.shared_stats();
    CHECK(stats.plaintext_refused == !cell.plaintext_accepted);
    CHECK(stats.sealed_refused == !cell.sealed_accepted);
    REQUIRE(receiver.errors.size() == 2 - accepted);
    if (!cell.plaintext_accepted)
      CHECK(Said(receiver, 0, "plaintext refused: encryption required"));
    if (!cell.sealed_accepted)
      CHECK(Said(receiver, 0, "sealed frame refused: encryption is off"));
  }
  // Without a keyring: plaintext as ever, sealed frames refused (kept apart
  // from undecodable bytes: TCP keeps the connection).
  FakeCore keyless(io, SocketTransportOptions{});
  CHECK(keyless.DecodeAndDeliver(sample.encoded, From("x:1"), "dropped") ==
        Decoding::kMessage);
  CHECK(keyless.DecodeAndDeliver(WireOf(sealing_sender, sample), From("x:1"),
                                 "dropped") == Decoding::kRefused);
  CHECK(keyless.shared_stats().sealed_refused == 1);
  CHECK(keyless.shared_stats().decode_errors == 0);
  CHECK(Said(keyless, 0, "frame from x:1 dropped: sealed frame refused"));
}

TEST_CASE("encryption: unknown key, tampered byte, other cluster, malformed, limits") {
  asio::io_context io;
  const SecretKey ours = Keyring::GenerateKey();
  const SecretKey theirs = Keyring::GenerateKey();
  FakeCore receiver(io, Encrypted(RingOf({ours}), Encryption::kRequire));
  FakeCore stranger(io, Encrypted(RingOf({theirs}), Encryption::kRequire));
  FakeCore friendly(io, Encrypted(RingOf({ours}), Encryption::kRequire));
  FakeCore foreign(io, Encrypted(RingOf({ours}), Encryption::kRequire, "other"));
  const Sample sample = WithValue(50);

  CHECK(receiver.DecodeAndDeliver(WireOf(stranger, sample), From("x:1"), "dropped") ==
        Decoding::kRefused);
  CHECK(Said(receiver, 0, "unknown key id " + Keyring::FormatId(Keyring::IdOf(theirs))));
  std::string tampered = WireOf(friendly, sample);
  tampered[tampered.size() - 20] ^= 0x01;
  CHECK(receiver.DecodeAndDeliver(tampered, From("x:1"), "dropped") ==
        Decoding::kRefused);
  CHECK(Said(receiver, 1, "does not open (bad tag)"));
  // The cluster is associated data: another cluster's frame does not open.
  CHECK(receiver.DecodeAndDeliver(WireOf(foreign, sample), From("x:1"), "dropped") ==
        Decoding::kRefused);
  const std::string whole = WireOf(friendly, sample);
  CHECK(receiver.DecodeAndDeliver(whole.substr(0, 30), From("x:1"), "closed") ==
        Decoding::kUndecodable);
  // The envelope inside is held to the same limits as a plaintext one.
  Limits small;
  small.max_value_bytes = 49;
  receiver.SetLimits(small);
  CHECK(receiver.DecodeAndDeliver(whole, From("x:1"), "dropped") ==
        Decoding::kUndecodable);

  const SocketTransportStats& stats = receiver.shared_stats();
  CHECK(stats.unknown_key == 1);
  CHECK(stats.unauthentic == 2);
  CHECK(stats.decode_errors == 2);
  CHECK(receiver.messages.empty());
  CHECK(receiver.arrivals == 0);
}

TEST_CASE("encryption: the same bytes again are a replay, and nothing is delivered") {
  asio::io_context io;
  const auto ring = RingOf({Keyring::GenerateKey()});
  FakeCore sender(io, Encrypted(ring, Encryption::kRequire));
  FakeCore receiver(io, Encrypted(ring, Encryption::kRequire));
  const Sample sample = WithValue(10);
  const std::string first = WireOf(sender, sample);
  const std::string second = WireOf(sender, sample);
  CHECK(receiver.DecodeAndDeliver(first, From("x:1"), "dropped") == Decoding::kMessage);
  CHECK(receiver.DecodeAndDeliver(first, From("x:1"), "dropped") == Decoding::kRefused);
  CHECK(receiver.DecodeAndDeliver(second, From("x:1"), "dropped") == Decoding::kMessage);
  CHECK(receiver.DecodeAndDeliver(second, From("x:1"), "dropped") == Decoding::kRefused);
  CHECK(receiver.messages.size() == 2);
  CHECK(receiver.arrivals == 2);
  CHECK(receiver.shared_stats().replayed == 2);
  CHECK(Said(receiver, 0, "frame from x:1 (peer 'peer') dropped: replay"));
}

TEST_CASE("encryption: frames outside the replay window are stale") {
  asio::io_context io;
  const auto ring = RingOf({Keyring::GenerateKey()});
  FakeCore sender(io, Encrypted(ring, Encryption::kRequire));
  FakeCore receiver(io, Encrypted(ring, Encryption::kRequire));
  const auto now = std::chrono::system_clock::now();
  const Sample sample = WithValue(10);

  sender.set_wall_clock([now] { return now - std::chrono::seconds(40); });
  CHECK(receiver.DecodeAndDeliver(WireOf(sender, sample), From("x:1"), "dropped") ==
        Decoding::kRefused);
  sender.set_wall_clock([now] { return now + std::chrono::seconds(40); });
  CHECK(receiver.DecodeAndDeliver(WireOf(sender, sample), From("x:1"), "dropped") ==
        Decoding::kRefused);
  CHECK(receiver.shared_stats().stale == 2);
  CHECK(Said(receiver, 0, "(peer 'peer') dropped: stale: sent 4"));
  CHECK(receiver.messages.empty());
  // Within the window (by the receiver's clock too): delivered.
  sender.set_wall_clock([now] { return now - std::chrono::seconds(20); });
  receiver.set_wall_clock([now] { return now - std::chrono::seconds(10); });
  CHECK(receiver.DecodeAndDeliver(WireOf(sender, sample), From("x:1"), "dropped") ==
        Decoding::kMessage);
}

TEST_CASE("encryption: refusals are all counted, their reports rate-limited") {
  asio::io_context io;
  FakeCore receiver(io,
                    Encrypted(RingOf({Keyring::GenerateKey()}), Encryption::kRequire));
  const Sample sample = WithValue(10);
  int calls = 0;
  const FakeCore::SourceText from = [&calls] {
    ++calls;
    return std::string("x:1");
  };
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(receiver.DecodeAndDeliver(sample.encoded, from, "dropped") ==
            Decoding::kRefused);
  }
  CHECK(receiver.shared_stats().plaintext_refused == 1000);
  // The first at once; then at most one a second (this loop takes less
  // than a few).
  CHECK(receiver.errors.size() >= 1);
  CHECK(receiver.errors.size() <= 5);
  CHECK(calls == static_cast<int>(receiver.errors.size()));
  CHECK(receiver.errors[0].message().find("suppressed") == std::string::npos);
  // Every counter has its own limit: another refusal is reported at once.
  const std::size_t reports = receiver.errors.size();
  FakeCore stranger(io, Encrypted(RingOf({Keyring::GenerateKey()}), Encryption::kSend));
  receiver.DecodeAndDeliver(WireOf(stranger, sample), from, "dropped");
  CHECK(receiver.errors.size() == reports + 1);
}
