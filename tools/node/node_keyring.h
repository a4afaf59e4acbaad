// NodeKeyring: the node program's keyring at runtime, what the stdin
// commands `key install|use|remove` and `encryption` change
// (docs/SECURITY.md, "The node program"). It owns the rule that the file
// and the transport never hold a change that was refused: every change is
// made first on a scratch copy of the keyring (the Keyring's own checks),
// the encryption mode checked against it, the result written to the
// keyring file (when there is one), and only then made on the keyring the
// transport reads and, for a new mode, on the transport. A change that
// fails at any step leaves the keyring, the mode and the file as they were.
//
// Without a keyring file the keyring starts empty and changes live only as
// long as the process.
//
// Threading: on the io_context's thread, like the transport that reads the
// keyring.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gossipmonger/keyring.h"
#include "gossipmonger/socket_transport.h"
#include "gossipmonger/status.h"

namespace gossipmonger::node {

class NodeKeyring {
 public:
  // `path`: the keyring file, empty for none. `keyring`: the one the
  // transport was made with (options.keyring), already loaded; `mode` the
  // transport's options.encryption.
  NodeKeyring(std::string path, std::shared_ptr<Keyring> keyring, Encryption mode);

  // The transport that reads the keyring; it must outlive this object.
  // Until attached, a new mode is only recorded (tests of the commands).
  void Attach(SocketTransport* transport) { transport_ = transport; }

  // The commands. Each returns why it was refused; the key itself is never
  // part of a message.
  Status Install(std::string_view base64);
  Status Use(std::string_view id);
  Status Remove(std::string_view id);
  Status SetEncryption(Encryption mode);

  const Keyring& keyring() const { return *keyring_; }
  Encryption encryption() const { return mode_; }

 private:
  using Change = std::function<Status(Keyring&)>;
  // Validates `change` with `mode` on a scratch copy, writes the result,
  // then applies both.
  Status Commit(const Change& change, Encryption mode);
  // Writes the file; on failure puts the old content back (best effort:
  // the rename may have happened before the directory sync failed).
  Status Persist(const Keyring& next, Encryption mode);

  std::string path_;
  std::shared_ptr<Keyring> keyring_;
  Encryption mode_;
  SocketTransport* transport_ = nullptr;
};

}  // namespace gossipmonger::node
