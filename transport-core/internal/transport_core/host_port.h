// "host:port" text: the PeerEndpoint::address of the socket transports
// (docs/transports.md, "Addresses"), parsed and written by these functions
// only, so that every transport agrees on the form.
#pragma once

#include <asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace gossipmonger::transport_core {

// "127.0.0.1:9742", "[::1]:9742", "node-3.example:9742". An IPv6 literal
// must be bracketed (an unbracketed one is ambiguous); the port is 1-65535.
// Returns false, leaving the outputs unspecified, for anything else.
bool SplitHostPort(std::string_view address, std::string* host, std::uint16_t* port);

// The inverse: "host:port", brackets around a host that holds a ':' (an
// IPv6 literal).
std::string FormatHostPort(std::string_view host, std::uint16_t port);

// A socket endpoint as text, e.g. the remote of a connection in a report.
std::string FormatHostPort(const asio::ip::address& address, std::uint16_t port);

}  // namespace gossipmonger::transport_core
