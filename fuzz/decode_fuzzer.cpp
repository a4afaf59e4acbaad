// libFuzzer target: codec::Decode on arbitrary bytes, and sealed frames
// (docs/SECURITY.md) through Open first, in the same binary so that one
// FUZZ_TIME covers both (scripts/fuzz.sh).
//
// An input that LooksSealed goes through transport_core::Open with a keyring
// holding the fixed test key of sealed_seeds.h. Open must never crash, and
// what opens must be exactly SealOverhead longer than its envelope, seal
// again (fresh nonce) to a frame that opens to the same envelope and
// header, and its envelope goes on to the decoder's checks below.
//
// Besides "no crash, no sanitizer report, no unbounded allocation", every
// envelope checks these properties:
//  - a failure is a ProtocolError, LimitExceeded or NotSupported Status;
//  - a canonical input is exactly wire_size's size; what decodes re-encodes
//    at that size and decodes again, canonical, to the same message;
//  - canonical input re-encodes to exactly the input bytes; non-canonical
//    input (wider msgpack forms) re-encodes to fewer bytes, or to as many
//    at a lower protocol version (a version-2 envelope around what version
//    1 carries: Encode writes the lowest version that carries a message);
//  - tighter limits never accept what the default limits refuse, and when
//    they accept, they decode the same thing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gossipmonger/keyring.h"
#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/wire_size.h"
#include "sealed_seeds.h"
#include "transport_core/sealed_frame.h"

namespace {

using gossipmonger::KeyId;
using gossipmonger::Status;
using gossipmonger::StatusCode;
namespace codec = gossipmonger::codec;
namespace wire_size = gossipmonger::wire_size;
namespace sealing = gossipmonger::transport_core;

[[noreturn]] void Fail(const char* what, const Status& status = Status()) {
  std::fprintf(stderr, "decode_fuzzer: %s (%s)\n", what, status.ToString().c_str());
  std::abort();
}

bool ExpectedError(const Status& s) {
  return s.code() == StatusCode::kProtocolError ||
         s.code() == StatusCode::kLimitExceeded || s.code() == StatusCode::kNotSupported;
}

codec::DecodeLimits TightLimits() {
  codec::DecodeLimits limits;
  limits.max_message_bytes = 512;
  limits.max_cluster_bytes = 8;
  limits.limits.max_peer_id_bytes = 8;
  limits.limits.max_address_bytes = 16;
  limits.limits.max_key_bytes = 8;
  limits.limits.max_value_bytes = 64;
  limits.limits.max_peers = 3;
  limits.limits.max_keys_per_peer = 4;
  return limits;
}

// The decoder's properties on one envelope.
void CheckDecode(std::string_view input) {
  static const codec::DecodeLimits kDefault;
  static const codec::DecodeLimits kTight = TightLimits();

  codec::Decoded decoded;
  const Status status = codec::Decode(input, kDefault, &decoded);
  codec::Decoded tight;
  const Status tight_status = codec::Decode(input, kTight, &tight);
  if (!status.ok()) {
    if (!ExpectedError(status)) Fail("unexpected status", status);
    if (tight_status.ok()) Fail("tight limits accept what default limits refuse");
    return;
  }
  if (tight_status.ok() &&
      (tight.message != decoded.message || tight.cluster != decoded.cluster)) {
    Fail("tight limits decode differently");
  }
  if (!tight_status.ok() && !ExpectedError(tight_status)) {
    Fail("unexpected status under tight limits", tight_status);
  }

  // wire_size against bytes the codec did not write: a canonical input is
  // exactly as long as wire_size says.
  const std::size_t expected =
      wire_size::Envelope(decoded.cluster, decoded.message.sender, decoded.message.kind) +
      wire_size::Body(decoded.message);
  if (decoded.canonical && input.size() != expected)
    Fail("wire_size differs from the input");
  if (!decoded.canonical && input.size() < expected) Fail("non-canonical input smaller");
  // Encode sizes its output with wire_size and asserts that it wrote exactly
  // that much (assertions are on in this build).
  std::string again;
  codec::Encode(decoded.cluster, decoded.message, again);
  if (again.size() != expected) Fail("encoded size differs from wire_size");
  codec::Decoded second;
  const Status second_status = codec::Decode(again, kDefault, &second);
  if (!second_status.ok()) Fail("re-encoding does not decode", second_status);
  if (!second.canonical) Fail("re-encoding is not canonical");
  if (second.protocol_version > decoded.protocol_version)
    Fail("re-encoding raised the version");
  const bool lowered = second.protocol_version < decoded.protocol_version;
  if (decoded.canonical && (again != input || lowered)) {
    Fail("canonical input does not re-encode to itself");
  }
  if (!decoded.canonical && again.size() >= input.size() &&
      !(lowered && again.size() == input.size())) {
    Fail("non-canonical input does not re-encode smaller or at a lower version");
  }
  if (second.message != decoded.message || second.cluster != decoded.cluster) {
    Fail("re-encoding decodes differently");
  }
}

// Open's properties on one input that looks sealed.
void CheckSealed(std::string_view input) {
  using sealing::OpenOutcome;
  using sealing::SealHeader;
  static const gossipmonger::Keyring& keyring = []() -> gossipmonger::Keyring& {
    static gossipmonger::Keyring k;
    if (!k.Install(gossipmonger::fuzz::FuzzKey()).ok())
      Fail("cannot install the test key");
    return k;
  }();
  const std::string_view cluster = gossipmonger::fuzz::kSealedCluster;
  SealHeader header;
  std::string envelope;
  KeyId id{};
  if (sealing::Open(keyring, cluster, input, &header, &envelope, &id) !=
      OpenOutcome::kOpened)
    return;
  if (input.size() != envelope.size() + sealing::SealOverhead(envelope.size()))
    Fail("an opened frame is not exactly SealOverhead longer than its envelope");
  KeyId primary_id{};
  const gossipmonger::SecretKey* key = keyring.Primary(&primary_id);
  std::string again;
  sealing::Seal(*key, primary_id, cluster, header, envelope, again);
  SealHeader header2;
  std::string envelope2;
  if (sealing::Open(keyring, cluster, again, &header2, &envelope2, &id) !=
          OpenOutcome::kOpened ||
      envelope2 != envelope || header2.epoch != header.epoch ||
      header2.counter != header.counter || header2.sent_at_ms != header.sent_at_ms) {
    Fail("sealing again does not open to the same");
  }
  CheckDecode(envelope);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (sealing::LooksSealed(input)) {
    CheckSealed(input);
  } else {
    CheckDecode(input);
  }
  return 0;
}
