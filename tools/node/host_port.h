// The node's addresses: "HOST:PORT", with IPv6 hosts in brackets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gossipmonger::node {

// "HOST:PORT" split; HOST may be "[v6]" (brackets stripped here).
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "HOST:PORT" / "[V6]:PORT"; nullopt if malformed.
std::optional<HostPort> ParseHostPort(const std::string& text);
// Formats a host and port back as an address ("[v6]:port" for IPv6).
std::string FormatHostPort(const std::string& host, std::uint16_t port);

}  // namespace gossipmonger::node
