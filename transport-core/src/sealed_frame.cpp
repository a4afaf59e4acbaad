// The sealed frame of docs/SECURITY.md ("The sealed frame"):
//
//   sealed = [ "gs", key_id: bin 8, nonce: bin 24, box: bin ]
//   box    = XChaCha20-Poly1305-IETF(plain, key, nonce, ad = "gs" || key_id || cluster)
//   plain  = epoch: u64 BE || counter: u64 BE || sent_at_ms: u64 BE || envelope
//
// msgpack-c's packer writes the four headers, as the codec does. Open reads
// them by hand: the layout is fixed (a fixarray of 4, fixstr "gs", two bin 8
// of fixed lengths, one bin in its smallest form), so reading it is four
// byte comparisons and one length, with no copy of the box and no msgpack
// object zone; and every other form is refused (kMalformed), so a sealed
// frame has exactly one encoding, like a canonical envelope.
#include "transport_core/sealed_frame.h"

#include <sodium.h>

#include <cassert>
#include <cstring>
#include <msgpack.hpp>
#include <optional>

namespace gossipmonger::transport_core {

namespace {

constexpr std::string_view kMagic = "gs";
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr std::size_t kHeaderBytes =
    3 * sizeof(std::uint64_t);  // epoch, counter, sent_at
static_assert(kNonceBytes == 24 && kTagBytes == 16);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == sizeof(SecretKey));

// 94 a2 67 73 c4 08 <id: 8> c4 18 <nonce: 24>: the bytes before the box.
constexpr std::uint8_t kPrefix[] = {0x94, 0xa2, 'g', 's'};
constexpr std::size_t kIdAt = 6;
constexpr std::size_t kNonceAt = kIdAt + sizeof(KeyId) + 2;
constexpr std::size_t kBoxHeaderAt = kNonceAt + kNonceBytes;  // 40
static_assert(kBoxHeaderAt == 40);

// msgpack bin headers (spec: bin 8, bin 16, bin 32).
constexpr std::uint8_t kBin8 = 0xc4, kBin16 = 0xc5, kBin32 = 0xc6;

std::size_t BinHeaderBytes(std::size_t length) {
  if (length <= 0xff) return 2;
  if (length <= 0xffff) return 3;
  return 5;
}

// The packer's output stream: appends to a string it does not own.
class AppendTo {
 public:
  explicit AppendTo(std::string& out) : out_(out) {}
  void write(const char* data, std::size_t size) { out_.append(data, size); }

 private:
  std::string& out_;
};

void PutU64(std::uint64_t value, unsigned char* at) {
  for (int i = 7; i >= 0; --i) {
    at[i] = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
}

std::uint64_t GetU64(const unsigned char* at) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | at[i];
  return value;
}

// "gs" || key_id || cluster: binds the frame to its key id and cluster.
std::string AssociatedData(const KeyId& id, std::string_view cluster) {
  std::string ad(kMagic);
  ad.append(reinterpret_cast<const char*>(id.data()), id.size());
  ad.append(cluster);
  return ad;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Where the parts of a well-formed sealed frame are (views into it).
struct Parts {
  KeyId id;
  const unsigned char* nonce = nullptr;
  std::string_view box;
};

// The box's length from its header at `at` (bin 8, 16 or 32), which must be
// the smallest form for that length. nullopt when not so or truncated.
std::optional<std::size_t> ReadBoxLength(std::string_view frame, std::size_t at,
                                         std::size_t* header_bytes) {
  if (frame.size() <= at) return std::nullopt;
  const unsigned char* p = Bytes(frame) + at;
  std::size_t width = p[0] == kBin8 ? 1 : p[0] == kBin16 ? 2 : p[0] == kBin32 ? 4 : 0;
  if (width == 0 || frame.size() - at < 1 + width) return std::nullopt;
  std::size_t length = 0;
  for (std::size_t i = 1; i <= width; ++i) length = (length << 8) | p[i];
  if (BinHeaderBytes(length) != 1 + width) return std::nullopt;  // a wider form
  *header_bytes = 1 + width;
  return length;
}

bool ParseParts(std::string_view frame, Parts* parts) {
  if (frame.size() < kBoxHeaderAt || !LooksSealed(frame)) return false;
  const unsigned char* p = Bytes(frame);
  if (p[kIdAt - 2] != kBin8 || p[kIdAt - 1] != sizeof(KeyId)) return false;
  if (p[kNonceAt - 2] != kBin8 || p[kNonceAt - 1] != kNonceBytes) return false;
  std::size_t header_bytes = 0;
  std::optional<std::size_t> length = ReadBoxLength(frame, kBoxHeaderAt, &header_bytes);
  // The box holds at least the seal header and the tag, and ends the frame.
  if (!length || *length < kHeaderBytes + kTagBytes ||
      frame.size() - kBoxHeaderAt - header_bytes != *length) {
    return false;
  }
  std::memcpy(parts->id.data(), p + kIdAt, sizeof(KeyId));
  parts->nonce = p + kNonceAt;
  parts->box = frame.substr(kBoxHeaderAt + header_bytes);
  return true;
}

}  // namespace

std::size_t SealOverhead(std::size_t envelope_bytes) {
  std::size_t box = kHeaderBytes + envelope_bytes + kTagBytes;
  return kBoxHeaderAt + BinHeaderBytes(box) + kHeaderBytes + kTagBytes;
}

std::size_t MaxSealOverhead(std::size_t max_frame_bytes) {
  // SealOverhead never decreases as the envelope grows.
  return SealOverhead(max_frame_bytes);
}

bool LooksSealed(std::string_view bytes) {
  return bytes.size() >= sizeof(kPrefix) &&
         std::memcmp(bytes.data(), kPrefix, sizeof(kPrefix)) == 0;
}

void Seal(const SecretKey& key, const KeyId& id, std::string_view cluster,
          const SealHeader& header, std::string_view envelope, std::string& out) {
  const std::size_t box_bytes = kHeaderBytes + envelope.size() + kTagBytes;
  assert(box_bytes <= 0xffffffffu);
  const std::size_t start = out.size();
  out.reserve(start + SealOverhead(envelope.size()) + envelope.size());

  unsigned char nonce[kNonceBytes];
  randombytes_buf(nonce, sizeof(nonce));
  AppendTo stream(out);
  msgpack::packer<AppendTo> packer(stream);
  packer.pack_array(4);
  packer.pack_str(kMagic.size());
  packer.pack_str_body(kMagic.data(), kMagic.size());
  packer.pack_bin(sizeof(KeyId));
  packer.pack_bin_body(reinterpret_cast<const char*>(id.data()), sizeof(KeyId));
  packer.pack_bin(kNonceBytes);
  packer.pack_bin_body(reinterpret_cast<const char*>(nonce), kNonceBytes);
  packer.pack_bin(static_cast<std::uint32_t>(box_bytes));

  // The plaintext goes where the box will be, and is sealed in place
  // (libsodium allows it: the ciphertext is the plaintext XOR the stream).
  const std::size_t box_at = out.size();
  out.resize(box_at + box_bytes);
  auto* box = reinterpret_cast<unsigned char*>(out.data()) + box_at;
  PutU64(header.epoch, box);
  PutU64(header.counter, box + 8);
  PutU64(header.sent_at_ms, box + 16);
  if (!envelope.empty())
    std::memcpy(box + kHeaderBytes, envelope.data(), envelope.size());
  const std::string ad = AssociatedData(id, cluster);
  crypto_aead_xchacha20poly1305_ietf_encrypt(box, nullptr, box,
                                             kHeaderBytes + envelope.size(), Bytes(ad),
                                             ad.size(), nullptr, nonce, key.data());
  assert(out.size() - start == SealOverhead(envelope.size()) + envelope.size());
}

OpenOutcome Open(const Keyring& keyring, std::string_view cluster, std::string_view frame,
                 SealHeader* header, std::string* envelope, KeyId* key_id) {
  Parts parts;
  if (!ParseParts(frame, &parts)) return OpenOutcome::kMalformed;
  if (key_id != nullptr) *key_id = parts.id;
  const SecretKey* key = keyring.Find(parts.id);
  if (key == nullptr) return OpenOutcome::kUnknownKey;

  const std::string ad = AssociatedData(parts.id, cluster);
  std::string plain(parts.box.size() - kTagBytes, '\0');
  auto* m = reinterpret_cast<unsigned char*>(plain.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, nullptr, nullptr, Bytes(parts.box),
                                                 parts.box.size(), Bytes(ad), ad.size(),
                                                 parts.nonce, key->data()) != 0) {
    return OpenOutcome::kUnauthentic;
  }
  header->epoch = GetU64(m);
  header->counter = GetU64(m + 8);
  header->sent_at_ms = GetU64(m + 16);
  plain.erase(0, kHeaderBytes);
  *envelope = std::move(plain);
  return OpenOutcome::kOpened;
}

}  // namespace gossipmonger::transport_core
