#include "node/security_support.h"

#include <sys/stat.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "gossipmonger/msgpack_codec.h"
#include "transport_core/sealed_frame.h"

namespace gossipmonger::node_test {
namespace {

std::uint64_t WallMicros() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void AppendBigEndian32(std::string& out, std::uint32_t n) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
}

}  // namespace

std::string NewKeyBase64() { return Keyring::FormatKey(Keyring::GenerateKey()); }

SecretKey KeyFromBase64(const std::string& base64) {
  SecretKey key{};
  REQUIRE(Keyring::ParseKey(base64, &key).ok());
  return key;
}

std::string KeyIdOf(const std::string& base64) {
  return Keyring::FormatId(Keyring::IdOf(KeyFromBase64(base64)));
}

void WriteKeyringFile(const std::string& path, const std::vector<std::string>& keys,
                      const std::string& encryption) {
  JsonValue file = {{"encryption", encryption}, {"keys", keys}};
  if (!keys.empty()) file["primary"] = KeyIdOf(keys.front());
  {
    std::ofstream out(path, std::ios::trunc);
    out << file.dump() << "\n";
    REQUIRE(out.good());
  }
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
}

std::string PlainEnvelope(const std::string& cluster, const Message& message) {
  std::string out;
  codec::Encode(cluster, message, out);
  return out;
}

std::string SealedFrame(const SecretKey& key, const KeyId& id, const std::string& cluster,
                        std::uint64_t counter, std::string_view envelope) {
  static const std::uint64_t epoch = WallMicros();
  transport_core::SealHeader header;
  header.epoch = epoch;
  header.counter = counter;
  header.sent_at_ms = WallMicros() / 1000;
  std::string out;
  transport_core::Seal(key, id, cluster, header, envelope, out);
  return out;
}

std::string GarbageSealedFrame(const KeyId& id, std::size_t box_bytes) {
  static std::mt19937_64 random(20261203);
  REQUIRE(box_bytes <= 0xffff);
  // [ "gs", bin 8 id, bin 24 nonce, bin box ] (docs/SECURITY.md).
  std::string out = "\x94\xa2gs\xc4\x08";
  out.append(reinterpret_cast<const char*>(id.data()), id.size());
  out += "\xc4\x18";
  for (int i = 0; i < 24; ++i) out.push_back(static_cast<char>(random()));
  // The box's bin header in its smallest form, as the seal writes it.
  if (box_bytes <= 0xff) {
    out += '\xc4';
  } else {
    out += '\xc5';
    out.push_back(static_cast<char>(box_bytes >> 8));
  }
  out.push_back(static_cast<char>(box_bytes & 0xff));
  for (std::size_t i = 0; i < box_bytes; ++i) out.push_back(static_cast<char>(random()));
  return out;
}

std::string TcpFramed(std::string_view frame) {
  std::string out;
  AppendBigEndian32(out, static_cast<std::uint32_t>(frame.size()));
  out.append(frame);
  return out;
}

std::vector<std::string> SplitTcpFrames(std::string_view stream) {
  std::vector<std::string> frames;
  while (stream.size() >= 4) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i)
      length = (length << 8) | static_cast<unsigned char>(stream[static_cast<size_t>(i)]);
    if (stream.size() < 4 + static_cast<std::size_t>(length)) break;
    frames.emplace_back(stream.substr(0, 4 + length));
    stream.remove_prefix(4 + length);
  }
  return frames;
}

struct RawSender::Impl {
  asio::io_context io;
  bool tcp = false;
  asio::ip::udp::socket udp{io};
  asio::ip::udp::endpoint udp_to;
  asio::ip::tcp::socket stream{io};
};

RawSender::RawSender(const std::string& transport, std::uint16_t port)
    : impl_(std::make_unique<Impl>()) {
  const auto loopback = asio::ip::make_address("127.0.0.1");
  impl_->tcp = transport == "tcp";
  if (impl_->tcp) {
    impl_->stream.connect({loopback, port});
  } else {
    impl_->udp.open(asio::ip::udp::v4());
    impl_->udp_to = {loopback, port};
  }
}

RawSender::~RawSender() = default;

void RawSender::Send(std::string_view frame) {
  if (impl_->tcp) return SendRaw(TcpFramed(frame));
  impl_->udp.send_to(asio::buffer(frame.data(), frame.size()), impl_->udp_to);
}

void RawSender::SendRaw(std::string_view bytes) {
  REQUIRE(impl_->tcp);
  asio::write(impl_->stream, asio::buffer(bytes.data(), bytes.size()));
}

JsonValue Stats(NodeProcess& node) {
  auto stats = node.Request("stats", "stats");
  REQUIRE(stats);
  return *stats;
}

std::uint64_t Count(const JsonValue& stats, const char* name) {
  INFO("stats: " << stats.dump() << ", counter " << name);
  auto value = Uint(stats, name);
  REQUIRE(value.has_value());
  return *value;
}

std::uint64_t RefusedTotal(const JsonValue& stats) {
  std::uint64_t total = 0;
  for (const char* name : {"unknown_key", "unauthentic", "stale", "replayed",
                           "plaintext_refused", "sealed_refused"}) {
    total += Count(stats, name);
  }
  return total;
}

JsonValue WaitForRefused(NodeProcess& node, std::uint64_t total) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  for (;;) {
    JsonValue stats = Stats(node);
    if (RefusedTotal(stats) >= total || std::chrono::steady_clock::now() > deadline)
      return stats;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void DrainOutput(NodeProcess& node) {
  node.WaitFor([](const JsonValue&) { return false; }, node.events().size(),
               std::chrono::milliseconds(1));
}

std::size_t CountEvents(const NodeProcess& node, const std::string& event,
                        const std::string& peer, std::size_t from) {
  std::size_t n = 0;
  for (std::size_t i = from; i < node.events().size(); ++i) {
    const JsonValue& e = node.events()[i];
    if (Str(e, "event") == event && (peer.empty() || Str(e, "peer") == peer)) ++n;
  }
  return n;
}

}  // namespace gossipmonger::node_test
