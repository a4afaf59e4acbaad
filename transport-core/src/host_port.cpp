#include "transport_core/host_port.h"

namespace gossipmonger::transport_core {

bool SplitHostPort(std::string_view address, std::string* host, std::uint16_t* port) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size())
    return false;
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

std::string FormatHostPort(std::string_view host, std::uint16_t port) {
  std::string text;
  const bool v6 = host.find(':') != std::string_view::npos;
  if (v6) text += '[';
  text += host;
  if (v6) text += ']';
  return text + ":" + std::to_string(port);
}

std::string FormatHostPort(const asio::ip::address& address, std::uint16_t port) {
  return FormatHostPort(address.to_string(), port);
}

}  // namespace gossipmonger::transport_core
