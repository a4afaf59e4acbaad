#include "gossipmonger/rocksdb_storage.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include "gossipmonger/peer_table.h"
#include "info_logger.h"
#include "record_format.h"

namespace gossipmonger {

namespace {

namespace fs = std::filesystem;
namespace fmt = rdb_format;

std::string Where(const std::string& path) { return "RocksDB storage '" + path + "': "; }

Status Fail(StatusCode code, const std::string& path, const std::string& what) {
  return Status::Error(code, Where(path) + what);
}

// RocksDB reports a held LOCK file as an IOError: "lock hold by current
// process" when this process holds it (RocksDB tracks its own locks, since
// fcntl locks do not conflict within a process), "While lock file: ...:
// Resource temporarily unavailable" when another process does. Other
// failures around the LOCK file (a read-only directory: "While open a file
// for lock") are plain I/O errors.
bool IsLockConflict(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  const std::string text = s.ToString();
  if (text.find("lock hold by current process") != std::string::npos) return true;
  return text.find("While lock file") != std::string::npos &&
         (text.find("Resource temporarily unavailable") != std::string::npos ||
          text.find("Permission denied") != std::string::npos);
}

Status FromRocks(const rocksdb::Status& s, const std::string& path, const std::string& doing) {
  if (IsLockConflict(s)) {
    return Fail(StatusCode::kBusy, path,
                "the database is in use: another process, or another RocksDbStorage in this "
                "process, holds its LOCK file (" +
                    s.ToString() + ")");
  }
  StatusCode code = StatusCode::kIOError;
  if (s.IsCorruption()) {
    code = StatusCode::kCorruption;
  } else if (s.IsNotSupported()) {
    code = StatusCode::kNotSupported;
  } else if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    code = StatusCode::kBusy;
  } else if (s.IsInvalidArgument()) {
    code = StatusCode::kInvalidArgument;
  }
  return Fail(code, path, doing + ": " + s.ToString());
}

// Files RocksDB creates before CURRENT while it creates a database. A
// directory holding only these is a creation that was interrupted (say, by a
// crash at first start): nothing was ever stored, so it is created anew.
bool IsCreationLeftover(const std::string& name) {
  return name == "LOCK" || name == "LOG" || name == "IDENTITY" || name.rfind("LOG.old", 0) == 0 ||
         name.rfind("MANIFEST-", 0) == 0 || name.rfind("OPTIONS-", 0) == 0 ||
         (name.size() > 6 && name.compare(name.size() - 6, 6, ".dbtmp") == 0);
}

enum class DirState { kMissing, kEmpty, kDatabase };

// What is at `path`, before RocksDB sees it: RocksDB with create_if_missing
// would happily create a database inside any directory without a CURRENT
// file, next to whatever else is there.
Status Inspect(const std::string& path, bool create_if_missing, DirState* state) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Fail(StatusCode::kIOError, path, "cannot examine the path: " + ec.message());
  }
  if (!fs::exists(st)) {
    if (!create_if_missing) {
      return Fail(StatusCode::kIOError, path, "does not exist (create_if_missing is false)");
    }
    fs::path target(path);
    if (!target.has_filename()) target = target.parent_path();  // "a/db/"
    fs::path parent = target.parent_path();
    if (parent.empty()) parent = ".";
    const fs::file_status parent_status = fs::status(parent, ec);
    if (!fs::exists(parent_status)) {
      return Fail(StatusCode::kIOError, path,
                  "its parent directory '" + parent.string() + "' does not exist" +
                      (ec && ec != std::errc::no_such_file_or_directory ? " (" + ec.message() + ")"
                                                                         : std::string()));
    }
    if (!fs::is_directory(parent_status)) {
      return Fail(StatusCode::kIOError, path,
                  "its parent '" + parent.string() + "' is not a directory");
    }
    *state = DirState::kMissing;
    return Status::Ok();
  }
  if (!fs::is_directory(st)) {
    return Fail(StatusCode::kCorruption, path,
                "is not a directory (a file of another format?); not a gossipmonger database");
  }
  bool has_current = false;
  std::string foreign;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == "CURRENT") {
      has_current = true;
    } else if (foreign.empty() && !IsCreationLeftover(name)) {
      foreign = name;
    }
  }
  if (ec) return Fail(StatusCode::kIOError, path, "cannot list the directory: " + ec.message());
  if (has_current) {
    *state = DirState::kDatabase;
    return Status::Ok();
  }
  if (!foreign.empty()) {
    return Fail(StatusCode::kCorruption, path,
                "the directory holds files (e.g. '" + foreign +
                    "') but no RocksDB database (no CURRENT file); not a gossipmonger "
                    "database, refusing to create one beside them");
  }
  if (!create_if_missing) {
    return Fail(StatusCode::kIOError, path, "holds no database (create_if_missing is false)");
  }
  *state = DirState::kEmpty;
  return Status::Ok();
}

Status MakeDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    const int error = errno;
    return Fail(StatusCode::kIOError, path,
                std::string("cannot create the directory: ") + std::strerror(error));
  }
  return Status::Ok();
}

std::shared_ptr<rocksdb::Logger> MakeLogger(const std::string& path,
                                            const RocksDbStorageOptions& options) {
  if (!options.info_log) return std::make_shared<rdb_detail::NullLogger>();
  return std::make_shared<rdb_detail::InfoLogger>(path, options.max_info_log_bytes);
}

rocksdb::Options MakeDbOptions(const RocksDbStorageOptions& options,
                               std::shared_ptr<rocksdb::Logger> logger) {
  rocksdb::Options db;
  db.create_if_missing = false;  // Open decides, after Inspect
  db.error_if_exists = false;
  db.paranoid_checks = true;
  db.write_buffer_size = options.write_buffer_bytes;
  db.max_background_jobs = options.max_background_jobs;
  db.info_log = std::move(logger);
  // Replay the write-ahead log up to the first damaged record (a torn write
  // at the moment of a crash) and stop there: the state is a prefix of the
  // writes, never half a WriteBatch.
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Hand every write to the operating system before Write returns, so that
  // kBatched survives kill -9; Flush() adds the fsync.
  db.manual_wal_flush = false;
  return db;
}

}  // namespace

// --- Impl -------------------------------------------------------------------

struct RocksDbStorage::Impl {
  Impl(std::string db_path, const RocksDbStorageOptions& storage_options)
      : path(std::move(db_path)), options(storage_options) {
    write_options.sync = options.durability == RocksDbDurability::kSynchronous;
  }
  ~Impl() { Close(); }

  bool batched() const { return options.durability == RocksDbDurability::kBatched; }

  void Close() {
    if (!db) return;
    // After a failed write RocksDB's log writer must not be used again (it
    // asserts in builds with assertions); memory was the truth then anyway.
    if (!failed) {
      if (batched() && wal_dirty) db->FlushWAL(/*sync=*/true);
      // Move the memtable into a table file now, on the way down, rather
      // than have the next Open replay the write-ahead log (the difference
      // is about a second per million keys written since the last flush).
      rocksdb::FlushOptions flush;
      flush.wait = true;
      db->Flush(flush);
    }
    db->Close();
    db.reset();
  }

  rocksdb::Status OpenDb() {
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(db_options, path, &raw);
    if (s.ok()) db.reset(raw);
    return s;
  }

  Status CheckFormat();
  Status Load();

  void AppendHeader(rocksdb::WriteBatch* batch, const PeerRecord& peer) const {
    batch->Put(fmt::HeaderKey(peer.id),
               fmt::EncodeHeader(peer.generation.value(), peer.max_version_seen.value(),
                                 peer.live, peer.address));
  }

  void AppendDeleteData(rocksdb::WriteBatch* batch, std::string_view id) const {
    std::string begin = fmt::PeerPrefix(id);
    std::string end = begin;
    begin.push_back(fmt::kDataTag);
    end.push_back(fmt::kDataEndTag);
    batch->DeleteRange(begin, end);
  }

  // The whole peer as memory has it: every stale record on disk goes.
  void AppendFullPeer(rocksdb::WriteBatch* batch, const PeerRecord& peer) const {
    AppendDeleteData(batch, peer.id);
    AppendHeader(batch, peer);
    std::string value;
    for (const auto& [key, versioned] : peer.data) {
      value.clear();
      fmt::AppendDataValue(&value, versioned.version.value(), versioned.value);
      batch->Put(fmt::DataKey(peer.id, key), value);
    }
  }

  bool PendingRewrite(std::string_view id) const {
    return rewrite_all || (!pending.empty() && pending.find(id) != pending.end());
  }

  Status Commit(rocksdb::WriteBatch* batch, std::string_view id) {
    rocksdb::Status s = db->Write(write_options, batch);
    if (s.ok()) {
      ++stats.batches_written;
      stats.records_written += batch->Count();
      if (batched()) wal_dirty = true;
      if (!pending.empty()) pending.erase(std::string(id));
      return Status::Ok();
    }
    failed = true;
    ++stats.write_errors;
    pending.insert(std::string(id));
    first_error = s.ToString();
    return Fail(StatusCode::kIOError, path,
                "writing peer '" + fmt::Printable(id) + "' failed (" + first_error +
                    "); the change is kept in memory and the next Flush() reopens the "
                    "database and rewrites the peer");
  }

  Status NotPersisted(std::string_view id) {
    pending.insert(std::string(id));
    return Fail(StatusCode::kIOError, path,
                "change of peer '" + fmt::Printable(id) +
                    "' kept in memory only: an earlier write failed (" + first_error +
                    "); the next Flush() reopens the database and rewrites it");
  }

  Status Recover();

  const std::string path;
  const RocksDbStorageOptions options;
  rocksdb::Options db_options;
  rocksdb::WriteOptions write_options;
  std::unique_ptr<rocksdb::DB> db;
  PeerTable table;

  // Failure state (see the header's failure model). `pending`: peers whose
  // stored records may differ from memory; `rewrite_all`: every peer may
  // (an fsync of the log failed, so any write since the last one may be
  // lost).
  bool failed = false;
  bool rewrite_all = false;
  std::set<std::string, std::less<>> pending;
  std::string first_error;

  bool wal_dirty = false;  // kBatched: written since the last fsync
  RocksDbStorageStats stats;
};

Status RocksDbStorage::Impl::CheckFormat() {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), fmt::kFormatKey, &value);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid()) {
      return Fail(StatusCode::kCorruption, path,
                  "a RocksDB database without a gossipmonger format record (first key '" +
                      fmt::Printable(std::string_view(it->key().data(), it->key().size())) +
                      "'); not a gossipmonger database");
    }
    if (!it->status().ok()) return FromRocks(it->status(), path, "cannot read the database");
    // Empty: new (or its creation was interrupted before anything was
    // stored). Claim it, durably, before anything else is written.
    rocksdb::WriteOptions sync;
    sync.sync = true;
    s = db->Put(sync, fmt::kFormatKey, fmt::EncodeFormat(kSchemaVersion));
    if (!s.ok()) return FromRocks(s, path, "cannot write the format record");
    return Status::Ok();
  }
  if (!s.ok()) return FromRocks(s, path, "cannot read the format record");
  const std::optional<std::uint32_t> version = fmt::DecodeFormat(value);
  if (!version || *version == 0) {
    return Fail(StatusCode::kCorruption, path,
                "the format record is not gossipmonger's ('" + fmt::Printable(value) +
                    "'); not a gossipmonger database");
  }
  if (*version > kSchemaVersion) {
    return Fail(StatusCode::kNotSupported, path,
                "schema version " + std::to_string(*version) +
                    " is newer than this build reads (" + std::to_string(kSchemaVersion) +
                    "); open it with a newer gossipmonger");
  }
  return Status::Ok();
}

// One forward scan. Records of a peer are contiguous, its header first, so a
// peer's data is collected until the next header and then handed to the
// table whole (PeerTable::Restore checks that no version exceeds the
// header's max_version_seen; we check that versions are distinct: any other
// state is corruption).
//
// Cost, for a million keys: the data of a peer is gathered into one arena
// (a memcpy per record) with a small index that is sorted by version (the
// distinctness check), then moved into the peer's map, reserved once.
Status RocksDbStorage::Impl::Load() {
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  read.readahead_size = 4u << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read));

  struct Entry {
    std::uint64_t version;
    std::size_t key_offset;  // into `arena`; the value follows the key
    std::size_t key_size;
    std::size_t value_size;
  };

  bool have_peer = false;
  std::string prefix;  // of the current peer, with no tag
  std::string id;
  std::string arena;
  std::vector<Entry> entries;

  PeerRecord record;  // the current peer, handed to the table whole

  auto finish_peer = [&]() -> Status {
    if (!have_peer) return Status::Ok();
    auto inconsistent = [&](const std::string& why) {
      return Fail(StatusCode::kCorruption, path,
                  "the records of peer '" + fmt::Printable(id) + "' are inconsistent: " + why);
    };
    // Versions of one peer are distinct (each change takes the next one).
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.version < b.version; });
    for (std::size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].version == entries[i - 1].version) {
        return inconsistent("two keys have version " + std::to_string(entries[i].version));
      }
    }
    // Sized once instead of rehashing ~20 times on the way to a million keys.
    record.data.reserve(entries.size());
    for (const Entry& e : entries) {
      record.data.emplace(arena.substr(e.key_offset, e.key_size),
                          VersionedValue{arena.substr(e.key_offset + e.key_size, e.value_size),
                                         Version(e.version)});
    }
    entries.clear();
    arena.clear();
    // Checks that no version exceeds the header's max_version_seen.
    Status restored = table.Restore(std::move(record));
    record = PeerRecord();
    if (!restored.ok()) return inconsistent(restored.message());
    return Status::Ok();
  };

  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    if (have_peer && key.size() > prefix.size() && key[prefix.size()] == fmt::kDataTag &&
        key.compare(0, prefix.size(), prefix) == 0) {
      const std::optional<fmt::DataValue> decoded = fmt::DecodeData(value);
      if (!decoded || decoded->version == 0) {
        return Fail(StatusCode::kCorruption, path,
                    "malformed data record '" + fmt::Printable(key) + "'");
      }
      const std::string_view data_key = key.substr(prefix.size() + 1);
      entries.push_back({decoded->version, arena.size(), data_key.size(), decoded->value.size()});
      arena.append(data_key);
      arena.append(decoded->value);
      continue;
    }
    if (key == fmt::kFormatKey) continue;
    const std::optional<fmt::PeerKey> parsed = fmt::ParsePeerKey(key);
    if (!parsed) {
      return Fail(StatusCode::kCorruption, path,
                  "unknown record '" + fmt::Printable(key) + "'");
    }
    if (parsed->tag != fmt::kHeaderTag) {
      return Fail(StatusCode::kCorruption, path,
                  "data record '" + fmt::Printable(key) + "' of peer '" +
                      fmt::Printable(parsed->id) + "' has no peer header");
    }
    Status finished = finish_peer();
    if (!finished.ok()) return finished;
    const std::optional<fmt::HeaderValue> header = fmt::DecodeHeader(value);
    if (!header) {
      return Fail(StatusCode::kCorruption, path,
                  "malformed header of peer '" + fmt::Printable(parsed->id) + "'");
    }
    if (parsed->id.empty()) {
      return Fail(StatusCode::kCorruption, path, "peer header: peer id is empty");
    }
    have_peer = true;
    prefix.assign(key.substr(0, parsed->prefix_size));
    id = parsed->id;
    record.id = parsed->id;
    record.address = std::string(header->address);
    record.generation = Generation(header->generation);
    record.max_version_seen = Version(header->max_version_seen);
    record.live = header->live;
  }
  if (!it->status().ok()) return FromRocks(it->status(), path, "cannot read the database");
  return finish_peer();
}

Status RocksDbStorage::Impl::Recover() {
  if (db) {
    db->Close();  // reports the earlier error again; nothing to do about it
    db.reset();
  }
  rocksdb::Status opened = OpenDb();
  if (!opened.ok()) {
    return FromRocks(opened, path, "cannot reopen the database after a failed write");
  }

  std::vector<std::string> ids;
  if (rewrite_all) {
    table.ForEach([&](const PeerRecord& peer) { ids.push_back(peer.id); });
  } else {
    ids.assign(pending.begin(), pending.end());
  }
  for (const std::string& id : ids) {
    const PeerRecord* peer = table.Get(id);
    if (peer == nullptr) continue;  // peers are never removed; defensive
    rocksdb::WriteBatch batch;
    AppendFullPeer(&batch, *peer);
    rocksdb::Status s = db->Write(write_options, &batch);
    if (!s.ok()) {
      ++stats.write_errors;
      first_error = s.ToString();
      return Fail(StatusCode::kIOError, path,
                  "rewriting peer '" + fmt::Printable(id) + "' after a failed write failed (" +
                      first_error + "); memory keeps it, the next Flush() tries again");
    }
    ++stats.batches_written;
    stats.records_written += batch.Count();
    pending.erase(id);
  }
  if (batched()) {
    rocksdb::Status s = db->FlushWAL(/*sync=*/true);
    if (!s.ok()) {
      ++stats.write_errors;
      first_error = s.ToString();
      rewrite_all = true;
      return Fail(StatusCode::kIOError, path,
                  "fsync of the write-ahead log failed (" + first_error +
                      "); the next Flush() tries again");
    }
    ++stats.wal_syncs;
  }
  pending.clear();
  rewrite_all = false;
  failed = false;
  wal_dirty = false;
  ++stats.reopens;
  return Status::Ok();
}

// --- RocksDbStorage ---------------------------------------------------------

RocksDbStorage::RocksDbStorage(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RocksDbStorage::~RocksDbStorage() = default;

Status RocksDbStorage::Open(const std::string& path, const RocksDbStorageOptions& options,
                            std::unique_ptr<RocksDbStorage>* out) {
  if (path.empty()) {
    return Status::Error(StatusCode::kInvalidArgument, "RocksDB storage: the path is empty");
  }
  if (out == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, "RocksDB storage: `out` is null");
  }
  if (options.max_background_jobs < 1) {
    return Fail(StatusCode::kInvalidArgument, path, "max_background_jobs must be at least 1");
  }
  DirState state = DirState::kMissing;
  Status inspected = Inspect(path, options.create_if_missing, &state);
  if (!inspected.ok()) return inspected;
  if (state == DirState::kMissing) {
    Status made = MakeDirectory(path);
    if (!made.ok()) return made;
  }

  auto impl = std::make_unique<Impl>(path, options);
  impl->db_options = MakeDbOptions(options, MakeLogger(path, options));
  impl->db_options.create_if_missing = state != DirState::kDatabase;
  const rocksdb::Status opened = impl->OpenDb();
  if (!opened.ok()) {
    if (state == DirState::kDatabase && opened.IsInvalidArgument()) {
      // RocksDB refuses an existing database whose configuration differs
      // from ours (other column families, another comparator).
      return Fail(StatusCode::kCorruption, path,
                  "a RocksDB database this storage cannot open as its own; not a "
                  "gossipmonger database (" +
                      opened.ToString() + ")");
    }
    if (state == DirState::kDatabase && opened.IsPathNotFound() && !IsLockConflict(opened)) {
      // CURRENT names a MANIFEST (or the MANIFEST a file) that is not there.
      return Fail(StatusCode::kCorruption, path,
                  "the database is damaged: a file it refers to is missing (" +
                      opened.ToString() + ")");
    }
    return FromRocks(opened, path, "cannot open the database");
  }
  impl->db_options.create_if_missing = false;  // a reopen after a failure
  Status checked = impl->CheckFormat();
  if (!checked.ok()) return checked;
  Status loaded = impl->Load();
  if (!loaded.ok()) return loaded;
  out->reset(new RocksDbStorage(std::move(impl)));
  return Status::Ok();
}

Status RocksDbStorage::Destroy(const std::string& path) {
  if (path.empty()) {
    return Status::Error(StatusCode::kInvalidArgument, "RocksDB storage: the path is empty");
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) return Status::Ok();
  rocksdb::Options options;
  options.info_log = std::make_shared<rdb_detail::NullLogger>();
  rocksdb::Status s = rocksdb::DestroyDB(path, options);
  if (!s.ok()) return FromRocks(s, path, "cannot destroy the database");
  fs::remove(fs::path(path) / "LOG", ec);
  fs::remove(fs::path(path) / "LOG.old", ec);
  fs::remove(path, ec);  // only if empty: never anything that is not ours
  return Status::Ok();
}

const PeerRecord* RocksDbStorage::Get(std::string_view id) const { return impl_->table.Get(id); }

void RocksDbStorage::ForEachPeer(const std::function<void(const PeerRecord&)>& visit) const {
  impl_->table.ForEach(visit);
}

std::size_t RocksDbStorage::PeerCount() const { return impl_->table.size(); }

Status RocksDbStorage::PutPeer(const PeerHeader& header) {
  Impl& d = *impl_;
  const PeerRecord* before = d.table.Get(header.id);
  const bool existed = before != nullptr;
  const bool generation_changed = existed && before->generation != header.generation;
  if (existed && !generation_changed && before->address == header.address &&
      before->live == header.live && !d.PendingRewrite(header.id)) {
    return Status::Ok();  // nothing changes
  }
  Status put = d.table.PutPeer(header);
  if (!put.ok()) return put;
  if (d.failed) return d.NotPersisted(header.id);

  const PeerRecord& peer = *d.table.Get(header.id);
  rocksdb::WriteBatch batch;
  if (d.PendingRewrite(header.id)) {
    d.AppendFullPeer(&batch, peer);
  } else {
    // A new lineage shares nothing with the old one: its data goes in the
    // same batch as the header that announces the new generation.
    if (generation_changed) d.AppendDeleteData(&batch, header.id);
    d.AppendHeader(&batch, peer);
  }
  return d.Commit(&batch, header.id);
}

Status RocksDbStorage::PutDeltas(std::string_view id, std::span<const KeyDelta> deltas,
                                 Version max_version_seen) {
  Impl& d = *impl_;
  Status checked = d.table.CheckDeltas(id, deltas, max_version_seen);
  if (!checked.ok()) return checked;
  if (deltas.empty() && d.table.Get(id)->max_version_seen == max_version_seen &&
      !d.PendingRewrite(id)) {
    return Status::Ok();  // nothing changes
  }
  // Memory first: if persisting fails, the engine keeps gossiping what it
  // accepted, and the peer is rewritten when the disk is back.
  Status applied = d.table.PutDeltas(id, deltas, max_version_seen);
  if (!applied.ok()) return applied;
  if (d.failed) return d.NotPersisted(id);

  const PeerRecord& peer = *d.table.Get(id);
  rocksdb::WriteBatch batch;
  if (d.PendingRewrite(id)) {
    d.AppendFullPeer(&batch, peer);
  } else {
    std::string key = fmt::PeerPrefix(id);
    key.push_back(fmt::kDataTag);
    const std::size_t key_base = key.size();
    std::string value;
    for (const KeyDelta& delta : deltas) {
      key.resize(key_base);
      key.append(delta.key);
      value.clear();
      fmt::AppendDataValue(&value, delta.version.value(), delta.value);
      batch.Put(key, value);
    }
    d.AppendHeader(&batch, peer);
  }
  return d.Commit(&batch, id);
}

Status RocksDbStorage::Flush() {
  Impl& d = *impl_;
  if (d.failed) {
    Status recovered = d.Recover();
    if (!recovered.ok()) return recovered;
  }
  if (d.batched() && d.wal_dirty) {
    rocksdb::Status s = d.db->FlushWAL(/*sync=*/true);
    if (!s.ok()) {
      // Whatever was written since the last fsync may or may not be on
      // disk: rewrite everything once the disk is back.
      d.failed = true;
      d.rewrite_all = true;
      ++d.stats.write_errors;
      d.first_error = s.ToString();
      return Fail(StatusCode::kIOError, d.path,
                  "fsync of the write-ahead log failed (" + d.first_error +
                      "); memory keeps every change, the next Flush() reopens the database "
                      "and rewrites every peer");
    }
    ++d.stats.wal_syncs;
    d.wal_dirty = false;
  }
  return Status::Ok();
}

const std::string& RocksDbStorage::path() const { return impl_->path; }

RocksDbDurability RocksDbStorage::durability() const { return impl_->options.durability; }

RocksDbStorageStats RocksDbStorage::stats() const {
  RocksDbStorageStats stats = impl_->stats;
  stats.peers_pending_rewrite = impl_->rewrite_all ? impl_->table.size() : impl_->pending.size();
  stats.failed = impl_->failed;
  return stats;
}

}  // namespace gossipmonger
