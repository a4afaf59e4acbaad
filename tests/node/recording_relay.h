// RecordingRelay: a loopback socket a test owns between a node's peers and
// the node (the node announces the relay's address with --advertise), which
// forwards what the peers send to the node's real port and records it: every
// datagram (UDP), or each connection's peer->node byte stream (TCP). The
// replay test plays the recording back later (docs/SECURITY.md, "Replay
// protection"). It runs on a thread of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gossipmonger::node_test {

class RecordingRelay {
 public:
  // Binds 127.0.0.1:0 for `transport` ("tcp" or "udp"); forwards nothing
  // until SetTarget.
  explicit RecordingRelay(const std::string& transport);
  ~RecordingRelay();
  RecordingRelay(const RecordingRelay&) = delete;
  RecordingRelay& operator=(const RecordingRelay&) = delete;

  std::uint16_t port() const;
  // The node's real port (known once it listens).
  void SetTarget(std::uint16_t port);
  // From now on forwards without recording.
  void StopRecording();
  // UDP: the datagrams in order. TCP: one byte stream per connection.
  std::vector<std::string> Recorded() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gossipmonger::node_test
