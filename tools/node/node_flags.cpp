#include "node_flags.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>

#include "encryption_mode.h"

namespace gossipmonger::node {

const char kUsage[] =
    "usage: gossipmonger-node --id ID --listen HOST:PORT [options]\n"
    "       gossipmonger-node keygen   (prints a new key for --keyring)\n"
    "One gossipmonger node as a process. Commands on stdin (set KEY VALUE,\n"
    "setex KEY TTL_MS VALUE, del KEY, get PEER KEY, peers, stats, leave, quit,\n"
    "key install BASE64, key use ID, key remove ID, key list, encryption MODE),\n"
    "events on stdout as JSON lines.\n"
    "  --id ID                   this node's peer id (required)\n"
    "  --listen HOST:PORT        where to receive (required; port 0: any free port)\n"
    "  --advertise HOST:PORT     address announced to peers (default: the listen one)\n"
    "  --seed ID@HOST:PORT       a seed peer (repeatable)\n"
    "  --set KEY=VALUE           initial data: a key this node starts with\n"
    "                            (repeatable; unchanged after a restart: no new "
    "version)\n"
    "  --transport tcp|udp       default tcp\n"
    "  --storage memory|sqlite:PATH|rocksdb:PATH   default memory\n"
    "  --cluster NAME            nodes of other clusters are ignored (default "
    "gossipmonger)\n"
    "  --gossip-interval-ms MS   time between gossip rounds (default 1000)\n"
    "  --dead-peer-phi PHI       phi above which a peer is dead (default 8)\n"
    "  --max-deltas N            most deltas per message (default 5)\n"
    "  --min-live-peers N        below this many live peers also gossip to a seed "
    "(default 1)\n"
    "  --gossip-fanout N         peers each round's digest goes to (default 3)\n"
    "  --push-fanout N           peers a fresh update is pushed to at once; 0: no\n"
    "                            pushes, anti-entropy only (default 4)\n"
    "  --tombstone-grace-ms MS   keep a deleted key's tombstone this long (default\n"
    "                            3600000: 1 hour)\n"
    "  --reap-dead-after-ms MS   forget a peer dead this long (default 86400000: 24 h)\n"
    "  --reap-left-after-ms MS   forget a peer that left this long ago (default\n"
    "                            300000: 5 min)\n"
    "  --remember-forgotten-ms MS  ignore stale gossip about a forgotten peer this\n"
    "                            long (default 604800000: 7 days)\n"
    "  --keyring FILE            the keys that seal messages (JSON, mode 0600; missing:\n"
    "                            empty, created at the first key command)\n"
    "  --encryption off|accept|send|require  default: the keyring file's mode,\n"
    "                            else require with a key, else off\n"
    "  --replay-window-ms MS     sealed messages older than this are refused\n"
    "                            (default 30000)\n"
    "  --leave-on-sigterm        SIGTERM leaves the cluster gracefully, then exits\n"
    "  --no-stdin                do not read commands; run until SIGINT/SIGTERM\n"
    "  --help, --version\n";

namespace {

template <typename T>
bool ParseInteger(const std::string& text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool ParsePositiveDouble(const std::string& text, double& out) {
  try {
    std::size_t used = 0;
    out = std::stod(text, &used);
    return used == text.size() && std::isfinite(out) && out > 0;
  } catch (const std::logic_error&) {
    return false;
  }
}

// Applies one flag's value; returns an error (without the flag's name) or "".
using Setter = std::function<std::string(NodeFlags&, const std::string&)>;

std::string SetHostPort(HostPort& out, const std::string& value) {
  auto parsed = ParseHostPort(value);
  if (!parsed) return "expected HOST:PORT, got '" + value + "'";
  out = *parsed;
  return "";
}

std::string SetSeed(NodeFlags& flags, const std::string& value) {
  const auto at = value.find('@');
  if (at == std::string::npos || at == 0 || !ParseHostPort(value.substr(at + 1))) {
    return "expected ID@HOST:PORT, got '" + value + "'";
  }
  flags.options.seeds.push_back({value.substr(0, at), value.substr(at + 1)});
  return "";
}

std::string SetInitialData(NodeFlags& flags, const std::string& value) {
  const auto equals = value.find('=');
  if (equals == std::string::npos || equals == 0) {
    return "expected KEY=VALUE, got '" + value + "'";
  }
  flags.initial_data[value.substr(0, equals)] = value.substr(equals + 1);
  return "";
}

std::string SetStorage(NodeFlags& flags, const std::string& value) {
  const bool with_path = (value.rfind("sqlite:", 0) == 0 && value.size() > 7) ||
                         (value.rfind("rocksdb:", 0) == 0 && value.size() > 8);
  if (value != "memory" && !with_path) {
    return "expected memory, sqlite:PATH or rocksdb:PATH, got '" + value + "'";
  }
  flags.storage = value;
  return "";
}

std::string SetKeyring(NodeFlags& flags, const std::string& value) {
  if (value.empty()) return "must not be empty";
  flags.keyring_path = value;
  return "";
}

std::string SetEncryptionMode(NodeFlags& flags, const std::string& value) {
  flags.encryption = ParseEncryption(value);
  if (!flags.encryption) {
    return std::string("expected ") + kEncryptionNames + ", got '" + value + "'";
  }
  return "";
}

template <typename T>
Setter CountSetter(T min, std::function<void(NodeFlags&, T)> apply) {
  return [min, apply](NodeFlags& flags, const std::string& value) -> std::string {
    T n{};
    if (!ParseInteger(value, n) || n < min) {
      return "expected an integer >= " + std::to_string(min) + ", got '" + value + "'";
    }
    apply(flags, n);
    return "";
  };
}

// A lifecycle duration of Options (docs/LIFECYCLE.md), in milliseconds >= 1.
Setter MillisecondsSetter(std::chrono::milliseconds Options::*field) {
  return CountSetter<std::int64_t>(1, [field](NodeFlags& f, std::int64_t n) {
    f.options.*field = std::chrono::milliseconds(n);
  });
}

Setter ReplayWindowSetter() {
  return CountSetter<std::int64_t>(1, [](NodeFlags& f, std::int64_t n) {
    f.replay_window = std::chrono::milliseconds(n);
  });
}

const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> setters = {
      {"--id",
       [](NodeFlags& f, const std::string& v) -> std::string {
         if (v.empty()) return "must not be empty";
         f.id = v;
         return "";
       }},
      {"--listen",
       [](NodeFlags& f, const std::string& v) { return SetHostPort(f.listen, v); }},
      {"--advertise",
       [](NodeFlags& f, const std::string& v) -> std::string {
         if (!ParseHostPort(v)) return "expected HOST:PORT, got '" + v + "'";
         f.advertise = v;
         return "";
       }},
      {"--seed", SetSeed},
      {"--set", SetInitialData},
      {"--transport",
       [](NodeFlags& f, const std::string& v) -> std::string {
         if (v != "tcp" && v != "udp") return "expected tcp or udp, got '" + v + "'";
         f.transport = v;
         return "";
       }},
      {"--storage", SetStorage},
      {"--cluster",
       [](NodeFlags& f, const std::string& v) -> std::string {
         if (v.empty()) return "must not be empty";
         f.cluster = v;
         return "";
       }},
      {"--keyring", SetKeyring},
      {"--encryption", SetEncryptionMode},
      {"--replay-window-ms", ReplayWindowSetter()},
      {"--gossip-interval-ms",
       CountSetter<std::int64_t>(1,
                                 [](NodeFlags& f, std::int64_t n) {
                                   f.options.gossip_interval =
                                       std::chrono::milliseconds(n);
                                 })},
      {"--dead-peer-phi",
       [](NodeFlags& f, const std::string& v) -> std::string {
         if (!ParsePositiveDouble(v, f.options.dead_peer_phi)) {
           return "expected a positive number, got '" + v + "'";
         }
         return "";
       }},
      {"--max-deltas",
       CountSetter<std::size_t>(
           1, [](NodeFlags& f, std::size_t n) { f.options.max_deltas_per_gossip = n; })},
      {"--inject-loss",
       [](NodeFlags& f, const std::string& v) -> std::string {
         double p = 0;
         char* end = nullptr;
         const bool zero = !v.empty() && std::strtod(v.c_str(), &end) == 0 &&
                           end == v.c_str() + v.size();
         if (!zero && (!ParsePositiveDouble(v, p) || p > 1)) {
           return "expected a probability in [0, 1], got '" + v + "'";
         }
         f.inject_loss = p;
         return "";
       }},
      {"--inject-delay-ms",
       CountSetter<std::int64_t>(
           0, [](NodeFlags& f, std::int64_t n) { f.inject_delay_ms = n; })},
      {"--gossip-fanout",
       CountSetter<std::size_t>(
           1, [](NodeFlags& f, std::size_t n) { f.options.gossip_fanout = n; })},
      {"--push-fanout",
       CountSetter<std::size_t>(
           0, [](NodeFlags& f, std::size_t n) { f.options.push_fanout = n; })},
      {"--min-live-peers",
       CountSetter<std::size_t>(
           0, [](NodeFlags& f, std::size_t n) { f.options.minimum_live_peers = n; })},
      {"--tombstone-grace-ms", MillisecondsSetter(&Options::tombstone_grace)},
      {"--reap-dead-after-ms", MillisecondsSetter(&Options::reap_dead_after)},
      {"--reap-left-after-ms", MillisecondsSetter(&Options::reap_left_after)},
      {"--remember-forgotten-ms", MillisecondsSetter(&Options::remember_forgotten_for)},
  };
  return setters;
}

ParsedFlags Error(std::string message) {
  ParsedFlags result;
  result.action = ParsedFlags::Action::kError;
  result.error = std::move(message);
  return result;
}

}  // namespace

std::optional<HostPort> ParseHostPort(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return std::nullopt;  // a bare IPv6 literal: ambiguous, needs brackets
  }
  HostPort result{host, 0};
  if (!ParseInteger(text.substr(colon + 1), result.port)) return std::nullopt;
  return result;
}

std::string FormatHostPort(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ParsedFlags ParseFlags(const std::vector<std::string>& args) {
  ParsedFlags result;
  if (!args.empty() && args[0] == "keygen") {
    if (args.size() > 1)
      return Error("keygen: takes no arguments, got '" + args[1] + "'");
    result.action = ParsedFlags::Action::kKeygen;
    return result;
  }
  bool have_listen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    if (flag == "--help" || flag == "-h") return {ParsedFlags::Action::kHelp, {}, ""};
    if (flag == "--version") return {ParsedFlags::Action::kVersion, {}, ""};
    if (flag == "--no-stdin") {
      result.flags.read_stdin = false;
      continue;
    }
    if (flag == "--leave-on-sigterm") {
      result.flags.leave_on_sigterm = true;
      continue;
    }
    std::string value;
    bool inline_value = false;
    if (const auto eq = flag.find('=');
        flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      inline_value = true;
    }
    const auto setter = Setters().find(flag);
    if (setter == Setters().end()) return Error("unknown flag " + flag);
    if (!inline_value) {
      if (i + 1 >= args.size()) return Error(flag + ": missing value");
      value = args[++i];
    }
    if (std::string error = setter->second(result.flags, value); !error.empty()) {
      return Error(flag + ": " + error);
    }
    have_listen = have_listen || flag == "--listen";
  }
  if (result.flags.id.empty()) return Error("--id: required");
  if (!have_listen) return Error("--listen: required");
  return result;
}

}  // namespace gossipmonger::node
