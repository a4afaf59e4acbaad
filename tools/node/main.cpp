// gossipmonger-node: one gossip node as a process. Flags choose the
// transport, storage and options (see --help and docs/node.md); commands
// come on stdin, events leave on stdout as JSON lines; diagnostics go to
// stderr. Exit codes: 0 after quit, leave, EOF on stdin, SIGINT or SIGTERM
// (with --leave-on-sigterm SIGTERM leaves first), and after `keygen`; 1 if
// the keyring file, the storage or the transport cannot be opened (a
// keyring file group or others may access, malformed or holding an invalid
// key among them), or the storage fails to record the start; 2 for bad
// flags or options (--encryption send or require with no key).
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "encryption_mode.h"
#include "gossipmonger/gossipmonger.h"
#include "json_line.h"
#include "keyring_file.h"
#include "node_app.h"
#include "node_flags.h"
#include "node_keyring.h"
#include "plugins.h"
#include "stdin_reader.h"

namespace {

using namespace gossipmonger;
using namespace gossipmonger::node;

// stdio rather than <iostream> in the node: initialising the standard
// streams and their locale touches about 0.3 MiB of libstdc++ in every
// process (docs/real-processes.md, "Memory of one node").
int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "gossipmonger-node: %s\n", message.c_str());
  return code;
}

// Loads --keyring (none: an empty keyring, which key commands may fill)
// and settles the mode: --encryption, else the file's, else require when
// the keyring holds a key, else off. Returns the exit code, 0 to go on.
int OpenKeyring(const NodeFlags& flags, std::shared_ptr<Keyring>* keyring,
                Encryption* mode) {
  *keyring = std::make_shared<Keyring>();
  std::optional<Encryption> file_mode;
  if (!flags.keyring_path.empty()) {
    if (Status s = LoadKeyringFile(flags.keyring_path, keyring->get(), &file_mode);
        !s.ok()) {
      return Fail(1, "--keyring: " + s.message());
    }
  }
  *mode = flags.encryption.value_or(
      file_mode.value_or((*keyring)->empty() ? Encryption::kOff : Encryption::kRequire));
  if (SealsMessages(*mode) && (*keyring)->empty()) {
    return Fail(2, std::string("--encryption: ") + EncryptionName(*mode) +
                       " seals with the primary key, and the keyring is empty "
                       "(--keyring FILE with a key from `gossipmonger-node keygen`)");
  }
  return 0;
}

// Runs the node until quit, EOF or a signal. The objects are declared in
// dependency order, so they are destroyed in the reverse one: the reader
// thread first, the io_context last.
int Run(const NodeFlags& flags) {
  std::shared_ptr<Keyring> keyring;
  Encryption mode = Encryption::kOff;
  if (int code = OpenKeyring(flags, &keyring, &mode); code != 0) return code;
  asio::io_context io;
  ListeningTransport transport;
  if (Status s = MakeTransport(io, flags, keyring, mode, &transport); !s.ok()) {
    return Fail(1, "--listen: " + s.ToString());
  }
  NodeKeyring node_keyring(flags.keyring_path, keyring, mode);
  node_keyring.Attach(transport.socket);
  std::unique_ptr<Storage> storage;
  if (Status s = MakeStorage(flags, &storage); !s.ok()) {
    return Fail(1, "--storage: " + s.ToString());
  }
  const std::string bound = transport.address;
  const PeerEndpoint self{flags.id, flags.advertise.empty() ? bound : flags.advertise};
  std::unique_ptr<Gossipmonger> gossipmonger;
  if (Status s =
          Gossipmonger::Create(io, self, flags.options, *storage, *transport.transport,
                               flags.initial_data, &gossipmonger);
      !s.ok()) {
    // Options and the local peer are checked first: bad flags. Else the
    // storage failed to record the start.
    const bool refused = s.code() == StatusCode::kInvalidArgument ||
                         s.code() == StatusCode::kLimitExceeded;
    return Fail(refused ? 2 : 1, refused ? s.ToString() : "--storage: " + s.ToString());
  }
  LineWriter writer(stdout);
  NodeApp app(io, *gossipmonger, writer, &transport, &node_keyring);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool left_on_signal = false;
  std::function<void(const std::error_code&, int)> on_signal =
      [&](const std::error_code& error, int signal) {
        if (error) return;
        if (signal == SIGTERM && flags.leave_on_sigterm && !left_on_signal) {
          left_on_signal = true;
          app.Leave(/*shutdown_if_refused=*/true);
          signals.async_wait(on_signal);  // a second signal stops at once
          return;
        }
        app.Shutdown();
      };
  signals.async_wait(on_signal);
  StdinReader reader(
      STDIN_FILENO,
      [&io, &app](std::string line) {
        asio::post(io, [&app, line = std::move(line)] { app.Execute(line); });
      },
      [&io, &app] { asio::post(io, [&app] { app.Shutdown(); }); });
  if (flags.read_stdin) reader.Start();

  app.Start(bound);
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout must not kill the node (it keeps gossiping).
  std::signal(SIGPIPE, SIG_IGN);
  const ParsedFlags parsed = ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
  switch (parsed.action) {
    case ParsedFlags::Action::kHelp:
      std::fputs(kUsage, stdout);
      return 0;
    case ParsedFlags::Action::kVersion:
      std::printf("gossipmonger-node %s\n", GOSSIPMONGER_NODE_VERSION);
      return 0;
    case ParsedFlags::Action::kKeygen:
      std::printf("%s\n", Keyring::FormatKey(Keyring::GenerateKey()).c_str());
      return 0;
    case ParsedFlags::Action::kError:
      std::fprintf(stderr, "gossipmonger-node: %s (see --help)\n", parsed.error.c_str());
      return 2;
    case ParsedFlags::Action::kRun:
      break;
  }
  return Run(parsed.flags);
}
