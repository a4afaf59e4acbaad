#include "node_keyring.h"

#include <string.h>

#include "encryption_mode.h"
#include "keyring_file.h"

namespace gossipmonger::node {

NodeKeyring::NodeKeyring(std::string path, std::shared_ptr<Keyring> keyring,
                         Encryption mode)
    : path_(std::move(path)), keyring_(std::move(keyring)), mode_(mode) {}

Status NodeKeyring::Install(std::string_view base64) {
  SecretKey key{};
  Status s = Keyring::ParseKey(base64, &key);
  if (s.ok()) {
    s = Commit([&key](Keyring& keyring) { return keyring.Install(key); }, mode_);
  }
  ::explicit_bzero(key.data(), key.size());
  return s;
}

Status NodeKeyring::Use(std::string_view id) {
  return Commit([id](Keyring& keyring) { return keyring.Use(id); }, mode_);
}

Status NodeKeyring::Remove(std::string_view id) {
  return Commit([id](Keyring& keyring) { return keyring.Remove(id); }, mode_);
}

Status NodeKeyring::SetEncryption(Encryption mode) {
  return Commit([](Keyring&) { return Status::Ok(); }, mode);
}

Status NodeKeyring::Commit(const Change& change, Encryption mode) {
  Keyring next;
  if (Status s = CopyKeyring(*keyring_, &next); !s.ok()) return s;
  if (Status s = change(next); !s.ok()) return s;
  if (SealsMessages(mode) && next.empty()) {
    return Status::Error(StatusCode::kInvalidArgument,
                         std::string("encryption ") + EncryptionName(mode) +
                             " seals with the primary key: install a key first");
  }
  if (Status s = Persist(next, mode); !s.ok()) return s;
  // The same change on the live keyring cannot fail now: it succeeded on a
  // copy of it.
  if (Status s = change(*keyring_); !s.ok()) return s;
  if (mode != mode_ && transport_ != nullptr) {
    if (Status s = transport_->SetEncryption(mode); !s.ok()) {
      (void)Persist(*keyring_, mode_);  // the file follows the transport
      return s;
    }
  }
  mode_ = mode;
  return Status::Ok();
}

Status NodeKeyring::Persist(const Keyring& next, Encryption mode) {
  if (path_.empty()) return Status::Ok();
  Status s = SaveKeyringFile(path_, next, mode);
  if (!s.ok()) {
    (void)SaveKeyringFile(path_, *keyring_, mode_);
    return Status::Error(s.code(), "keyring not changed: " + s.message());
  }
  return Status::Ok();
}

}  // namespace gossipmonger::node
