// Splitting "host:port" addresses (the PeerEndpoint::address of the shipped
// transports). Private to the transport; transport-tcp has the same rules
// (a copy each keeps the two targets independent).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gossipmonger::udp_detail {

// "127.0.0.1:9742", "[::1]:9742", "node-3.example:9742". An IPv6 literal
// must be bracketed (an unbracketed one is ambiguous); the port is 1-65535.
// Returns false, leaving the outputs unspecified, for anything else.
inline bool SplitHostPort(std::string_view address, std::string* host, std::uint16_t* port) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) return false;
  std::string_view h = address.substr(0, colon);
  const std::string_view p = address.substr(colon + 1);
  if (p.size() > 5) return false;
  std::uint32_t value = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string_view::npos || h.back() == ']') {
    return false;
  }
  host->assign(h);
  *port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace gossipmonger::udp_detail
