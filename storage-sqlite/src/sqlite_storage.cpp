// SqliteStorage: a PeerTable written through to one SQLite database.
// This file holds Open, Destroy and the Storage interface; the parts of
// SqliteStorage::Impl are listed in sqlite_impl.h (the on-disk format is
// described in sqlite_schema.cpp, the consistency rule in sqlite_write.cpp).
#include "gossipmonger/sqlite_storage.h"

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "sqlite_impl.h"

namespace gossipmonger {

using sqlite_detail::Quote;

Status SqliteStorage::Open(const std::string& path, const SqliteStorageOptions& options,
                           std::unique_ptr<SqliteStorage>* out) {
  out->reset();
  if (path.empty())
    return Status::Error(StatusCode::kInvalidArgument, "empty database path");
  if (path == ":memory:" || path.rfind("file:", 0) == 0) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "database path must name a file: " + Quote(path));
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  Status status = impl->OpenConnection();
  if (status.ok()) status = impl->CheckOrCreateSchema();
  if (status.ok()) status = impl->Configure();
  if (status.ok()) status = impl->Load();
  if (status.ok()) status = impl->TakeWriteLock();
  if (status.ok()) status = impl->PrepareWriteStatements();
  if (!status.ok()) return status;  // `impl` closes the connection
  out->reset(new SqliteStorage(std::move(impl)));
  return Status::Ok();
}

Status SqliteStorage::Destroy(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-journal", "-shm"}) {
    const std::string file = path + suffix;
    std::error_code ec;
    std::filesystem::remove(file, ec);
    if (ec) {
      return Status::Error(StatusCode::kIOError,
                           "cannot delete " + Quote(file) + ": " + ec.message());
    }
  }
  return Status::Ok();
}

// --- SqliteStorage --------------------------------------------------------------

SqliteStorage::SqliteStorage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStorage::~SqliteStorage() { impl_->Close(); }

const PeerRecord* SqliteStorage::Get(std::string_view id) const {
  return impl_->table.Get(id);
}

void SqliteStorage::ForEachPeer(
    const std::function<void(const PeerRecord&)>& visit) const {
  impl_->table.ForEach(visit);
}

std::size_t SqliteStorage::PeerCount() const { return impl_->table.size(); }

Status SqliteStorage::PutPeer(const PeerHeader& header) {
  PeerTable::PutPeerResult result;
  Status status = impl_->table.PutPeer(header, &result);
  if (!status.ok()) return status;
  const PeerRecord* peer = impl_->table.Get(header.id);
  return impl_->WriteThrough(header.id, [&] {
    Status written = impl_->WritePeerRow(*peer);
    // A new generation shares nothing with the old one: its rows go in the
    // same transaction as the row that announces it.
    if (written.ok() && result.data_dropped) written = impl_->DeletePeerData(header.id);
    return written;
  });
}

Status SqliteStorage::PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                                Version max_version_seen) {
  Status status = impl_->table.CheckDeltas(id, deltas, max_version_seen);
  if (!status.ok()) return status;
  impl_->table.PutDeltas(id, deltas, max_version_seen);
  return impl_->WriteThrough(id, [&] {
    Status written;
    for (const KeyDelta& delta : deltas) {
      written = impl_->WriteData(id, sqlite_detail::DataRow::Of(delta));
      if (!written.ok()) return written;
    }
    // kBatched writes max_version_seen once per transaction, at commit.
    if (impl_->options.durability == SqliteDurability::kSynchronous) {
      written = impl_->WriteMaxVersion(id, max_version_seen);
    }
    return written;
  });
}

Status SqliteStorage::Flush() { return impl_->Flush(); }

const std::string& SqliteStorage::path() const { return impl_->path; }

const SqliteStorageOptions& SqliteStorage::options() const { return impl_->options; }

std::size_t SqliteStorage::UnsyncedPeerCount() const { return impl_->unsynced.size(); }

}  // namespace gossipmonger
