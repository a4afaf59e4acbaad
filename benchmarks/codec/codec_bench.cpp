// Encode and decode throughput of the wire codec (bytes/s and messages/s),
// for digests of 100 and 1,000 entries and deltas messages of realistic
// sizes; msgpack-c's packer, its generic unpacker and its visitor parser
// with a visitor that does nothing, on the same messages, are the baselines.
//
//   gossipmonger-bench-codec --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <msgpack.hpp>
#include <string>

#include "gossipmonger/msgpack_codec.h"

namespace gossipmonger {
namespace {

std::string PeerId(int i) { return "node-" + std::to_string(10000 + i); }
std::string Address(int i) {
  return "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":7946";
}

// A SYN of `entries` peers, as a cluster in steady state sends it:
// generations are boot times in seconds, heartbeats in the thousands.
Message Digest(int entries) {
  Message m;
  m.kind = MessageKind::kDigest;
  m.sender = {PeerId(0), Address(0)};
  for (int i = 0; i < entries; ++i) {
    m.digest.push_back({PeerId(i), Generation(1700000000 + static_cast<std::uint64_t>(i)),
                        Heartbeat(3600 + static_cast<std::uint64_t>(i % 100)),
                        Version(static_cast<std::uint64_t>(i * 7 % 500))});
  }
  return m;
}

// An ACK of `deltas` deltas of `value_bytes` each, ten per peer.
Message Deltas(int deltas, int value_bytes) {
  Message m;
  m.kind = MessageKind::kDeltas;
  m.sender = {PeerId(0), Address(0)};
  std::string value(static_cast<std::size_t>(value_bytes), '\0');
  for (std::size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<char>(i * 37 + 11);
  for (int d = 0; d < deltas; ++d) {
    if (d % 10 == 0) {
      const int peer = d / 10 + 1;
      m.deltas.push_back(
          {PeerId(peer), Generation(1700000000), d == 0 ? Address(peer) : "", {}});
    }
    m.deltas.back().deltas.push_back({"service/key-" + std::to_string(d), value,
                                      Version(1000 + static_cast<std::uint64_t>(d))});
  }
  return m;
}

Message ForArgs(const benchmark::State& state) {
  return state.range(1) == 0
             ? Digest(static_cast<int>(state.range(0)))
             : Deltas(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
}

void Encode(benchmark::State& state) {
  const Message m = ForArgs(state);
  std::string out;
  for (auto _ : state) {
    out.clear();
    codec::Encode("production", m, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["msg_bytes"] = static_cast<double>(out.size());
}

void Decode(benchmark::State& state) {
  const Message m = ForArgs(state);
  std::string bytes;
  codec::Encode("production", m, bytes);
  const codec::DecodeLimits limits;
  for (auto _ : state) {
    codec::Decoded decoded;
    const Status s = codec::Decode(bytes, limits, &decoded);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(decoded.message.digest.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["msg_bytes"] = static_cast<double>(bytes.size());
}

// Baseline: the same layout with msgpack::packer into an sbuffer.
void MsgpackCPack(benchmark::State& state) {
  const Message m = ForArgs(state);
  msgpack::sbuffer buffer;
  for (auto _ : state) {
    buffer.clear();
    msgpack::packer<msgpack::sbuffer> p(buffer);
    auto str = [&](std::string_view s) {
      p.pack_str(static_cast<std::uint32_t>(s.size()));
      p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
    };
    p.pack_array(7);
    str("gm");
    p.pack_uint64(1);
    p.pack_uint64(static_cast<std::uint64_t>(m.kind));
    str("production");
    str(m.sender.id);
    str(m.sender.address);
    p.pack_array(3);
    p.pack_uint64(m.digest_is_partial ? 1 : 0);
    p.pack_array(static_cast<std::uint32_t>(m.digest.size()));
    for (const DigestEntry& e : m.digest) {
      p.pack_array(4);
      str(e.id);
      p.pack_uint64(e.generation.value());
      p.pack_uint64(e.heartbeat.value());
      p.pack_uint64(e.max_version.value());
    }
    p.pack_array(static_cast<std::uint32_t>(m.deltas.size()));
    for (const PeerDeltas& g : m.deltas) {
      p.pack_array(4);
      str(g.id);
      p.pack_uint64(g.generation.value());
      str(g.address);
      p.pack_array(static_cast<std::uint32_t>(g.deltas.size()));
      for (const KeyDelta& d : g.deltas) {
        p.pack_array(3);
        str(d.key);
        p.pack_bin(static_cast<std::uint32_t>(d.value.size()));
        p.pack_bin_body(d.value.data(), static_cast<std::uint32_t>(d.value.size()));
        p.pack_uint64(d.version.value());
      }
    }
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buffer.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Baseline: msgpack::unpack into its generic object tree (no conversion to
// a Message, no type or limit checks).
void MsgpackCUnpack(benchmark::State& state) {
  const Message m = ForArgs(state);
  std::string bytes;
  codec::Encode("production", m, bytes);
  for (auto _ : state) {
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
    benchmark::DoNotOptimize(handle.get().via.array.ptr);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Baseline: msgpack::parse with a visitor that does nothing, the floor of
// any decoder built on msgpack-c's visitor parser (ours checks and stores).
void MsgpackCParse(benchmark::State& state) {
  const Message m = ForArgs(state);
  std::string bytes;
  codec::Encode("production", m, bytes);
  for (auto _ : state) {
    msgpack::null_visitor visitor;
    std::size_t end = 0;
    benchmark::DoNotOptimize(msgpack::parse(bytes.data(), bytes.size(), end, visitor));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Args: {entries, 0} for a digest; {deltas, value bytes} for deltas.
void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "value_bytes"});
  b->Args({100, 0})->Args({1000, 0})->Args({5, 100})->Args({100, 1024});
}

BENCHMARK(Encode)->Apply(Shapes);
BENCHMARK(Decode)->Apply(Shapes);
BENCHMARK(MsgpackCPack)->Apply(Shapes);
BENCHMARK(MsgpackCUnpack)->Apply(Shapes);
BENCHMARK(MsgpackCParse)->Apply(Shapes);

}  // namespace
}  // namespace gossipmonger

BENCHMARK_MAIN();
