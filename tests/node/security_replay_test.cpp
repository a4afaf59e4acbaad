// Issue 15, "What it must show": a recorded session replayed 60 s later
// changes nothing, and a dead node stays dead (docs/SECURITY.md, "Replay
// protection"). Three real nodes a, b, c with encryption required; b
// announces (--advertise) a relay the test owns, which forwards to b's real
// port and records everything a and c send to b: every datagram (UDP), each
// connection's byte stream (TCP). a and c set keys; a is killed (SIGKILL)
// and b convicts it; 60 s after the recording began, the test plays it all
// back straight to b's port (TCP: on new connections). b must not see a
// live again, apply nothing, keep its view, and count every replayed frame.
//
// With the default 30 s window every frame is refused as stale; a second b
// with a 120 s window (--replay-window-ms) holds every frame within it, so
// there each must be caught as seen before (epoch and counter). The four
// cases (TCP, UDP, each window) run at once so that the 60 s are paid once:
// the test takes about 70 s, hence "load:" (the sanitizer passes skip it).
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "node/cluster.h"
#include "node/recording_relay.h"
#include "node/security_support.h"

namespace gossipmonger::node_test {
namespace {

constexpr auto kReplayAfter = std::chrono::seconds(60);
constexpr int kKeys = 5;     // set by a and c each
constexpr int kBurst = 200;  // frames replayed before b must have counted them

struct Session {
  Session(const std::string& transport, bool long_window);

  std::string transport;
  bool long_window;
  TempDir dir;
  std::string key = NewKeyBase64();
  NodeConfig config;
  std::unique_ptr<RecordingRelay> relay;
  std::chrono::steady_clock::time_point recording_began;
  std::unique_ptr<NodeProcess> a, b, c;
  std::size_t a_dead_at = 0;  // index of b's peer_dead event for a
};

Session::Session(const std::string& t, bool long_window_)
    : transport(t), long_window(long_window_), config{t, "memory", dir.path()} {
  relay = std::make_unique<RecordingRelay>(transport);
  recording_began = std::chrono::steady_clock::now();
  const std::string relay_address = "127.0.0.1:" + std::to_string(relay->port());
  config.node_args = [this, relay_address](const std::string& id) {
    const std::string path = dir.path() + "/" + id + ".keyring";
    WriteKeyringFile(path, {key}, "require");
    std::vector<std::string> args = {"--keyring", path};
    if (id == "b") args.insert(args.end(), {"--advertise", relay_address});
    if (id == "b" && long_window)
      args.insert(args.end(), {"--replay-window-ms", "120000"});
    return args;
  };
  b = std::make_unique<NodeProcess>(NodeArgs(config, "b", "127.0.0.1:0", ""));
  relay->SetTarget(b->Port());
  a = std::make_unique<NodeProcess>(
      NodeArgs(config, "a", "127.0.0.1:0", "b@" + relay_address));
  c = std::make_unique<NodeProcess>(
      NodeArgs(config, "c", "127.0.0.1:0", "b@" + relay_address));
  for (auto [node, others] :
       {std::pair{b.get(), "ac"}, {a.get(), "bc"}, {c.get(), "ab"}}) {
    for (const char* other = others; *other != '\0'; ++other)
      REQUIRE(node->WaitForEvent("new_peer", {{"peer", std::string(1, *other)}}));
  }
}

// a and c set keys, b gets them.
void SetKeys(Session& s) {
  for (int k = 0; k < kKeys; ++k) {
    s.a->Send("set x" + std::to_string(k) + " from-a");
    s.c->Send("set x" + std::to_string(k) + " from-c");
  }
  const std::string last = "x" + std::to_string(kKeys - 1);
  REQUIRE(s.b->WaitForEvent("update", {{"peer", "a"}, {"key", last}}));
  REQUIRE(s.b->WaitForEvent("update", {{"peer", "c"}, {"key", last}}));
}

// After a's SIGKILL: b convicts it; the recording ends.
void AwaitConviction(Session& s) {
  REQUIRE(s.a->Wait());
  auto dead = s.b->WaitForEvent("peer_dead", {{"peer", "a"}});
  REQUIRE(dead);
  s.relay->StopRecording();
  for (std::size_t i = 0; i < s.b->events().size(); ++i) {
    if (s.b->events()[i] == *dead) s.a_dead_at = i;
  }
}

// Plays the recording back to b's port; returns the frames sent.
std::uint64_t Replay(Session& s, std::uint64_t refused_before) {
  std::uint64_t sent = 0;
  const auto flush = [&] { WaitForRefused(*s.b, refused_before + sent); };
  const std::vector<std::string> recorded = s.relay->Recorded();
  if (s.transport == "udp") {
    RawSender sender("udp", s.b->Port());
    for (const std::string& datagram : recorded) {
      sender.Send(datagram);
      if (++sent % kBurst == 0) flush();
    }
  } else {
    for (const std::string& stream : recorded) {
      RawSender sender("tcp", s.b->Port());
      for (const std::string& frame : SplitTcpFrames(stream)) {
        sender.SendRaw(frame);
        if (++sent % kBurst == 0) flush();
      }
      flush();
    }
  }
  flush();
  return sent;
}

void ReplayAndCheck(Session& s) {
  INFO(s.transport << (s.long_window ? ", 120 s window" : ", default window"));
  auto peers_before = s.b->Request("peers", "peers");
  REQUIRE(peers_before);
  const JsonValue before = Stats(*s.b);
  const std::size_t events_before = s.b->events().size();
  const std::uint64_t sent = Replay(s, RefusedTotal(before));
  REQUIRE(sent > 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // for any effect to show

  const JsonValue after = Stats(*s.b);
  const auto delta = [&](const char* name) {
    return Count(after, name) - Count(before, name);
  };
  INFO(sent << " frames replayed");
  CHECK(delta(s.long_window ? "replayed" : "stale") == sent);
  CHECK(RefusedTotal(after) - RefusedTotal(before) == sent);
  CHECK(delta("decode_errors") == 0);
  CHECK(CountEvents(*s.b, "peer_live", "a", s.a_dead_at) == 0);
  for (const char* event : {"update", "new_peer", "peer_live", "peer_dead", "new_lineage",
                            "delete", "peer_left"}) {
    INFO("event " << event);
    CHECK(CountEvents(*s.b, event, "", events_before) == 0);
  }
  auto peers_after = s.b->Request("peers", "peers");
  REQUIRE(peers_after);
  CHECK((*peers_after)["peers"] == (*peers_before)["peers"]);
  for (const JsonValue& peer : (*peers_after)["peers"]) {
    if (Str(peer, "peer") == "a") CHECK(Bool(peer, "live") == false);
  }
}

}  // namespace

TEST_CASE(
    "load: a recorded session replayed 60 s later changes nothing and a dead node stays "
    "dead (TCP and UDP)",
    "[security]") {
  std::vector<std::unique_ptr<Session>> sessions;
  for (const char* transport : {"tcp", "udp"}) {
    for (bool long_window : {false, true})
      sessions.push_back(std::make_unique<Session>(transport, long_window));
  }
  for (auto& s : sessions) SetKeys(*s);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // rounds of heartbeats
  for (auto& s : sessions) s->a->Signal(SIGKILL);
  for (auto& s : sessions) AwaitConviction(*s);
  for (auto& s : sessions) {
    std::this_thread::sleep_until(s->recording_began + kReplayAfter);
    DrainOutput(*s->b);
    DrainOutput(*s->c);
    ReplayAndCheck(*s);
  }
}

}  // namespace gossipmonger::node_test
