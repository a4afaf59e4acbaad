// What the security tests (docs/SECURITY.md) share: keyring files for the
// nodes, hand-made frames (plaintext envelopes from the codec, sealed frames
// under any key and key id), a raw sender that puts them on a node's port
// as the TCP or UDP transport would, and the node's `stats` counters.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gossipmonger/keyring.h"
#include "gossipmonger/message.h"
#include "node/node_process.h"

namespace gossipmonger::node_test {

// A fresh key as the node's `keygen` prints it (base64, 44 characters).
std::string NewKeyBase64();
SecretKey KeyFromBase64(const std::string& base64);
std::string KeyIdOf(const std::string& base64);  // 16 hex digits

// Writes a keyring file of the node's format, mode 0600.
void WriteKeyringFile(const std::string& path, const std::vector<std::string>& keys,
                      const std::string& encryption);

// The plaintext envelope of `message` in `cluster` (docs/PROTOCOL.md).
std::string PlainEnvelope(const std::string& cluster, const Message& message);
// A sealed frame of `envelope` under `key`, carrying key id `id` (not
// necessarily the key's own), sealed now with counter `counter`.
std::string SealedFrame(const SecretKey& key, const KeyId& id, const std::string& cluster,
                        std::uint64_t counter, std::string_view envelope);
// A well-formed sealed frame with key id `id` whose box is `box_bytes`
// random bytes: it opens under no key.
std::string GarbageSealedFrame(const KeyId& id, std::size_t box_bytes);
// TCP's framing: a 4-byte big-endian length, then the frame.
std::string TcpFramed(std::string_view frame);
// Splits a recorded client->server TCP stream into its frames (each with its
// prefix); a partial frame at the end is left out.
std::vector<std::string> SplitTcpFrames(std::string_view stream);

// Puts frames on 127.0.0.1:`port` as the transport `transport` ("tcp",
// "udp") would: one datagram each, or frames on one TCP connection. Sending
// is blocking; failures fail the test.
class RawSender {
 public:
  RawSender(const std::string& transport, std::uint16_t port);
  ~RawSender();
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;
  // `frame` without TCP's length prefix.
  void Send(std::string_view frame);
  // Bytes as they are, on the TCP connection (a recorded stream).
  void SendRaw(std::string_view bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The node's `stats` answer.
JsonValue Stats(NodeProcess& node);
// A counter of a `stats` answer; fails the test if it is missing.
std::uint64_t Count(const JsonValue& stats, const char* name);
// What the node refused by encryption (the counters of docs/SECURITY.md,
// "Errors"), summed.
std::uint64_t RefusedTotal(const JsonValue& stats);
// Waits until RefusedTotal reaches `total`; returns the last stats.
JsonValue WaitForRefused(NodeProcess& node, std::uint64_t total);

// Reads what the node printed so far without waiting for anything, so that
// a node that prints a lot never blocks on a full pipe.
void DrainOutput(NodeProcess& node);
// The events named `event` about `peer` in node.events() from `from` on.
std::size_t CountEvents(const NodeProcess& node, const std::string& event,
                        const std::string& peer, std::size_t from);

}  // namespace gossipmonger::node_test
