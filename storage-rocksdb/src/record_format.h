// The byte layout of a gossipmonger RocksDB database (schema version 2).
// docs/storage-rocksdb.md describes the same layout for humans; the two must
// change together, and any change that an older build could misread takes a
// new schema version.
//
//   format record  key   "\x00gossipmonger"
//                  value "gossipmonger-rocksdb" | fixed32 schema version
//   forgotten      key   'f' | id bytes
//                  value fixed64 generation | fixed64 forgotten_at
//   peer header    key   'p' | escape(id) | 0x00 0x01 | 'H'
//                  value fixed64 generation | fixed64 max_version_seen |
//                        u8 flags | [lifecycle fields] | address bytes
//   data record    key   'p' | escape(id) | 0x00 0x01 | 'K' | key bytes
//                  value fixed64 version | value bytes            (plain)
//                     or fixed64 0 | u8 kind | fixed64 version |
//                        fixed64 expires_at | value bytes         (entry)
//
// Header flags: bit 0 live, bit 1 set when the lifecycle fields follow
// (fixed64 down_since | fixed64 collected_through | fixed64 clean_through).
// Version 1 wrote flags 0 or 1 and no lifecycle fields; this build always
// writes bit 1 and reads both. Data: version 1 wrote only the plain layout
// (a version is never 0); this build writes it for a value without a
// deadline, and the entry layout, marked by the version 0 in front, for a
// tombstone, a leave or a value with expires_at. So every record of a
// version-1 database is a valid version-2 record whose new fields take
// their defaults (a value, no deadline, up, nothing collected, no reset).
// Times (expires_at, down_since, forgotten_at) are the int64 microseconds
// of WallTime, stored with the same bits.
//
// fixedNN are little-endian. escape() doubles every 0x00 of the id as
// 0x00 0xFF, so the terminator 0x00 0x01 never occurs inside an escaped id:
// the prefix 'p' | escape(id) | 0x00 0x01 of one peer is never a prefix of
// another peer's keys, whatever bytes ids contain. A peer's header sorts
// before its data ('H' < 'K'), so one forward scan meets every header before
// the data it governs, and the data of one peer is the key range
// [prefix 'K', prefix 'L'), which a generation change deletes with one
// DeleteRange. Forgotten records ('f') sort before every peer ('p').
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gossipmonger::rdb_format {

inline constexpr std::string_view kFormatKey{"\x00gossipmonger", 13};
inline constexpr std::string_view kMagic{"gossipmonger-rocksdb"};
inline constexpr char kForgottenTag = 'f';
inline constexpr char kPeerTag = 'p';
inline constexpr char kHeaderTag = 'H';
inline constexpr char kDataTag = 'K';
inline constexpr char kDataEndTag = 'L';  // kDataTag + 1: end of a data range

// 'p' | escape(id) | 0x00 0x01
std::string PeerPrefix(std::string_view id);
std::string HeaderKey(std::string_view id);
std::string DataKey(std::string_view id, std::string_view key);

std::string EncodeFormat(std::uint32_t schema_version);
// The schema version, or nullopt if `value` does not start with the magic.
std::optional<std::uint32_t> DecodeFormat(std::string_view value);

struct HeaderValue {
  std::uint64_t generation = 0;
  std::uint64_t max_version_seen = 0;
  bool live = true;
  std::int64_t down_since = 0;
  std::uint64_t collected_through = 0;
  std::uint64_t clean_through = 0;
  std::string_view address;
};
// Always the layout with the lifecycle fields.
std::string EncodeHeader(const HeaderValue& header);
// Either layout (the version-1 one gives the lifecycle fields 0).
std::optional<HeaderValue> DecodeHeader(std::string_view value);

struct DataValue {
  std::uint64_t version = 0;
  std::uint8_t kind = 0;  // EntryKind
  std::int64_t expires_at = 0;
  std::string_view value;
};
// The plain layout when kind is 0 and expires_at 0, else the entry layout.
void AppendDataValue(std::string* out, const DataValue& data);
// Either layout; nullopt if malformed (an entry of an unknown kind
// included).
std::optional<DataValue> DecodeData(std::string_view value);

std::string ForgottenKey(std::string_view id);
struct ForgottenValue {
  std::uint64_t generation = 0;
  std::int64_t forgotten_at = 0;
};
std::string EncodeForgotten(const ForgottenValue& forgotten);
std::optional<ForgottenValue> DecodeForgotten(std::string_view value);

// A parsed peer key: the unescaped id, the tag after the prefix ('H' or 'K')
// and, for data, the key. `prefix_size` is the length of the peer prefix.
struct PeerKey {
  std::string id;
  char tag = 0;
  std::string_view key;
  std::size_t prefix_size = 0;
};
std::optional<PeerKey> ParsePeerKey(std::string_view record_key);

// For messages: printable bytes as they are, the rest as \xNN.
std::string Printable(std::string_view bytes, std::size_t max_bytes = 64);

}  // namespace gossipmonger::rdb_format
