#include "record_format.h"

namespace gossipmonger::rdb_format {

namespace {

constexpr unsigned char kLiveFlag = 0x01;
constexpr unsigned char kLifecycleFlag = 0x02;
// generation, max_version_seen, flags, down_since, collected, clean
constexpr std::size_t kHeaderFixedSize = 8 + 8 + 1 + 8 + 8 + 8;
// the 0 marker, kind, version, expires_at
constexpr std::size_t kEntryFixedSize = 8 + 1 + 8 + 8;
constexpr std::uint8_t kMaxKind = 2;  // EntryKind::kLeave

void AppendFixed64(std::string* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void AppendFixed32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint64_t ReadFixed64(std::string_view in) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
  }
  return v;
}

std::uint32_t ReadFixed32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
  }
  return v;
}

void AppendPeerPrefix(std::string* out, std::string_view id) {
  out->push_back(kPeerTag);
  for (char c : id) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xFF');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

}  // namespace

std::string PeerPrefix(std::string_view id) {
  std::string key;
  key.reserve(id.size() + 3);
  AppendPeerPrefix(&key, id);
  return key;
}

std::string HeaderKey(std::string_view id) {
  std::string key;
  key.reserve(id.size() + 4);
  AppendPeerPrefix(&key, id);
  key.push_back(kHeaderTag);
  return key;
}

std::string DataKey(std::string_view id, std::string_view data_key) {
  std::string key;
  key.reserve(id.size() + data_key.size() + 4);
  AppendPeerPrefix(&key, id);
  key.push_back(kDataTag);
  key.append(data_key);
  return key;
}

std::string EncodeFormat(std::uint32_t schema_version) {
  std::string value(kMagic);
  AppendFixed32(&value, schema_version);
  return value;
}

std::optional<std::uint32_t> DecodeFormat(std::string_view value) {
  if (value.size() != kMagic.size() + 4 || value.substr(0, kMagic.size()) != kMagic) {
    return std::nullopt;
  }
  return ReadFixed32(value.substr(kMagic.size()));
}

std::string EncodeHeader(const HeaderValue& header) {
  std::string value;
  value.reserve(kHeaderFixedSize + header.address.size());
  AppendFixed64(&value, header.generation);
  AppendFixed64(&value, header.max_version_seen);
  value.push_back(static_cast<char>((header.live ? kLiveFlag : 0) | kLifecycleFlag));
  AppendFixed64(&value, static_cast<std::uint64_t>(header.down_since));
  AppendFixed64(&value, header.collected_through);
  AppendFixed64(&value, header.clean_through);
  value.append(header.address);
  return value;
}

std::optional<HeaderValue> DecodeHeader(std::string_view value) {
  if (value.size() < 17) return std::nullopt;
  const auto flags = static_cast<unsigned char>(value[16]);
  if ((flags & ~(kLiveFlag | kLifecycleFlag)) != 0) return std::nullopt;
  HeaderValue header;
  header.generation = ReadFixed64(value.substr(0, 8));
  header.max_version_seen = ReadFixed64(value.substr(8, 8));
  header.live = (flags & kLiveFlag) != 0;
  if ((flags & kLifecycleFlag) == 0) {  // version 1
    header.address = value.substr(17);
    return header;
  }
  if (value.size() < kHeaderFixedSize) return std::nullopt;
  header.down_since = static_cast<std::int64_t>(ReadFixed64(value.substr(17, 8)));
  header.collected_through = ReadFixed64(value.substr(25, 8));
  header.clean_through = ReadFixed64(value.substr(33, 8));
  header.address = value.substr(kHeaderFixedSize);
  return header;
}

void AppendDataValue(std::string* out, const DataValue& data) {
  if (data.kind == 0 && data.expires_at == 0) {
    out->reserve(out->size() + 8 + data.value.size());
    AppendFixed64(out, data.version);
  } else {
    out->reserve(out->size() + kEntryFixedSize + data.value.size());
    AppendFixed64(out, 0);
    out->push_back(static_cast<char>(data.kind));
    AppendFixed64(out, data.version);
    AppendFixed64(out, static_cast<std::uint64_t>(data.expires_at));
  }
  out->append(data.value);
}

std::optional<DataValue> DecodeData(std::string_view value) {
  if (value.size() < 8) return std::nullopt;
  DataValue data;
  data.version = ReadFixed64(value.substr(0, 8));
  if (data.version != 0) {  // the plain layout
    data.value = value.substr(8);
    return data;
  }
  if (value.size() < kEntryFixedSize) return std::nullopt;
  data.kind = static_cast<std::uint8_t>(value[8]);
  if (data.kind > kMaxKind) return std::nullopt;
  data.version = ReadFixed64(value.substr(9, 8));
  data.expires_at = static_cast<std::int64_t>(ReadFixed64(value.substr(17, 8)));
  data.value = value.substr(kEntryFixedSize);
  return data;
}

std::string ForgottenKey(std::string_view id) {
  std::string key;
  key.reserve(id.size() + 1);
  key.push_back(kForgottenTag);
  key.append(id);
  return key;
}

std::string EncodeForgotten(const ForgottenValue& forgotten) {
  std::string value;
  value.reserve(16);
  AppendFixed64(&value, forgotten.generation);
  AppendFixed64(&value, static_cast<std::uint64_t>(forgotten.forgotten_at));
  return value;
}

std::optional<ForgottenValue> DecodeForgotten(std::string_view value) {
  if (value.size() != 16) return std::nullopt;
  return ForgottenValue{ReadFixed64(value.substr(0, 8)),
                        static_cast<std::int64_t>(ReadFixed64(value.substr(8, 8)))};
}

std::optional<PeerKey> ParsePeerKey(std::string_view record_key) {
  if (record_key.empty() || record_key[0] != kPeerTag) return std::nullopt;
  PeerKey parsed;
  std::size_t i = 1;
  for (;;) {
    if (i >= record_key.size()) return std::nullopt;  // no terminator
    const char c = record_key[i];
    if (c != '\0') {
      parsed.id.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= record_key.size()) return std::nullopt;
    const char next = record_key[i + 1];
    if (next == '\xFF') {
      parsed.id.push_back('\0');
      i += 2;
    } else if (next == '\x01') {
      i += 2;
      break;
    } else {
      return std::nullopt;  // an escape this format never writes
    }
  }
  if (i >= record_key.size()) return std::nullopt;  // no tag
  parsed.prefix_size = i;
  parsed.tag = record_key[i];
  parsed.key = record_key.substr(i + 1);
  if (parsed.tag == kHeaderTag && !parsed.key.empty()) return std::nullopt;
  if (parsed.tag != kHeaderTag && parsed.tag != kDataTag) return std::nullopt;
  return parsed;
}

std::string Printable(std::string_view bytes, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  if (bytes.size() > max_bytes) out += "...";
  return out;
}

}  // namespace gossipmonger::rdb_format
