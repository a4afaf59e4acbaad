// Loading a SqliteStorage: the peers and data tables are read once, checked,
// and handed to the PeerTable (PeerTable::Restore) peer by peer; then the
// forgotten peers (PeerTable::RestoreForgotten).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "sqlite_impl.h"

namespace gossipmonger {

using sqlite_detail::FromSql;
using sqlite_detail::IsBytes;
using sqlite_detail::IsInteger;
using sqlite_detail::LoadedPeers;
using sqlite_detail::Quote;

namespace {

// The bytes of a column of the current row, valid until the next step.
std::string_view ColumnView(sqlite3_stmt* statement, int column) {
  const int size = sqlite3_column_bytes(statement, column);
  const void* blob = sqlite3_column_blob(statement, column);
  return size <= 0 || blob == nullptr ? std::string_view()
                                      : std::string_view(static_cast<const char*>(blob),
                                                         static_cast<std::size_t>(size));
}

// The data rows of one peer. Their bytes go to one arena with a small index,
// sorted by version to check that no two keys share one; then they are moved
// into the peer's map, reserved once.
class DataGroup {
 public:
  bool empty() const { return rows_.empty(); }

  void Add(const sqlite_detail::DataRow& row) {
    const std::string_view key = row.key;
    const std::string_view value = row.value;
    rows_.push_back(Row{row.version.value(), arena_.size(), key.size(), value.size(),
                        row.kind, row.expires_at});
    arena_.append(key);
    arena_.append(value);
  }

  // Moves the rows into `peer->data` and empties the group; false, with a
  // version two keys share in `*shared_version`, if versions are not
  // distinct (then `peer` is left alone).
  bool MoveInto(PeerRecord* peer, std::uint64_t* shared_version) {
    std::sort(rows_.begin(), rows_.end(),
              [](const Row& a, const Row& b) { return a.version < b.version; });
    for (std::size_t i = 1; i < rows_.size(); ++i) {
      if (rows_[i].version == rows_[i - 1].version) {
        *shared_version = rows_[i].version;
        return false;
      }
    }
    peer->data.reserve(rows_.size());
    for (const Row& row : rows_) {
      peer->data.emplace(
          arena_.substr(row.offset, row.key_size),
          VersionedValue{arena_.substr(row.offset + row.key_size, row.value_size),
                         Version(row.version), row.kind, row.expires_at});
    }
    rows_.clear();
    arena_.clear();
    return true;
  }

 private:
  struct Row {
    std::uint64_t version;
    std::size_t offset;  // into arena_; the value follows the key
    std::size_t key_size;
    std::size_t value_size;
    EntryKind kind;
    WallTime expires_at;
  };
  std::string arena_;
  std::vector<Row> rows_;
};

// Whether columns [first, end) of the current row are all integers.
bool AreIntegers(sqlite3_stmt* statement, int first, int end) {
  for (int column = first; column < end; ++column) {
    if (!IsInteger(statement, column)) return false;
  }
  return true;
}

}  // namespace

Status SqliteStorage::Impl::Load() {
  Status status = options.paranoid_checks ? CheckIntegrity() : Status::Ok();
  // Peers first; each is handed to the table whole (PeerTable::Restore)
  // once its data is read.
  LoadedPeers loaded;
  if (status.ok()) status = LoadPeers(&loaded);
  if (status.ok()) status = LoadData(&loaded);
  if (status.ok()) status = RestorePeers(&loaded);
  if (status.ok()) status = LoadForgotten();
  return status;
}

Status SqliteStorage::Impl::CheckIntegrity() {
  std::string verdict;
  Status status = QueryText("PRAGMA integrity_check(1)", &verdict);
  if (!status.ok()) return status;
  if (verdict != "ok") return Corrupt("integrity_check: " + verdict);
  return Status::Ok();
}

Status SqliteStorage::Impl::LoadPeers(LoadedPeers* loaded) {
  Statement peers;
  Status status = Prepare(
      "SELECT id, address, generation, max_version_seen, live, down_since,"
      " collected_through, clean_through FROM peers",
      &peers);
  if (!status.ok()) return Corrupt("unreadable peers table: " + status.message());
  for (;;) {
    const int rc = sqlite3_step(peers.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Error(rc, "reading peers");
    sqlite3_stmt* s = peers.get();
    if (!IsBytes(s, 0) || !IsBytes(s, 1) || !AreIntegers(s, 2, 8)) {
      return Corrupt("a peers row has values of the wrong type");
    }
    PeerRecord record;
    record.id = sqlite_detail::ColumnBytes(s, 0);
    record.address = sqlite_detail::ColumnBytes(s, 1);
    record.generation = Generation(FromSql(sqlite3_column_int64(s, 2)));
    record.max_version_seen = Version(FromSql(sqlite3_column_int64(s, 3)));
    record.live = sqlite3_column_int64(s, 4) != 0;
    record.down_since = WallTime(sqlite3_column_int64(s, 5));
    record.collected_through = Version(FromSql(sqlite3_column_int64(s, 6)));
    record.clean_through = Version(FromSql(sqlite3_column_int64(s, 7)));
    if (record.id.empty()) return Corrupt("invalid peer row: peer id is empty");
    auto [slot, inserted] = loaded->try_emplace(record.id);
    if (!inserted) return Corrupt("peer " + Quote(record.id) + " twice");
    slot->second = std::move(record);
  }
  return Status::Ok();
}

// Data rows arrive in primary-key order, so grouped by peer; a group is
// moved into its peer when the next one begins.
Status SqliteStorage::Impl::LoadData(LoadedPeers* loaded) {
  Statement data;
  Status status =
      Prepare("SELECT peer, key, value, version, kind, expires_at FROM data", &data);
  if (!status.ok()) return Corrupt("unreadable data table: " + status.message());
  DataGroup group;
  std::string current;
  PeerRecord* current_peer = nullptr;
  sqlite_detail::IdSet seen;
  auto apply_group = [&]() -> Status {
    if (group.empty()) return Status::Ok();
    std::uint64_t shared = 0;
    if (group.MoveInto(current_peer, &shared)) return Status::Ok();
    return Corrupt("data of peer " + Quote(current) +
                   " is inconsistent (two keys have version " + std::to_string(shared) +
                   ")");
  };
  for (;;) {
    const int rc = sqlite3_step(data.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Error(rc, "reading data");
    sqlite3_stmt* s = data.get();
    if (!IsBytes(s, 0) || !IsBytes(s, 1) || !IsBytes(s, 2) || !AreIntegers(s, 3, 6)) {
      return Corrupt("a data row has values of the wrong type");
    }
    const std::int64_t kind = sqlite3_column_int64(s, 4);
    if (kind < 0 || kind > static_cast<std::int64_t>(EntryKind::kLeave)) {
      return Corrupt("a data row has the unknown kind " + std::to_string(kind));
    }
    const std::string_view peer_id = ColumnView(s, 0);
    if (current_peer == nullptr || peer_id != current) {
      Status applied = apply_group();
      if (!applied.ok()) return applied;
      current.assign(peer_id);
      auto found = loaded->find(current);
      if (found == loaded->end())
        return Corrupt("data rows for unknown peer " + Quote(current));
      current_peer = &found->second;
      if (!seen.insert(current).second) {
        return Corrupt("data rows of peer " + Quote(current) + " out of key order");
      }
    }
    group.Add({ColumnView(s, 1), ColumnView(s, 2),
               Version(FromSql(sqlite3_column_int64(s, 3))), static_cast<EntryKind>(kind),
               WallTime(sqlite3_column_int64(s, 5))});
  }
  return apply_group();
}

Status SqliteStorage::Impl::RestorePeers(LoadedPeers* loaded) {
  table.Reserve(loaded->size());
  for (auto& [id, record] : *loaded) {
    const std::string max_version = std::to_string(record.max_version_seen.value());
    Status restored = table.Restore(std::move(record));
    if (!restored.ok()) {
      return Corrupt("peer " + Quote(id) + " is inconsistent with its max_version_seen " +
                     max_version + " (" + restored.message() + ")");
    }
  }
  return Status::Ok();
}

Status SqliteStorage::Impl::LoadForgotten() {
  Statement forgotten;
  Status status =
      Prepare("SELECT id, generation, forgotten_at FROM forgotten", &forgotten);
  if (!status.ok()) return Corrupt("unreadable forgotten table: " + status.message());
  for (;;) {
    const int rc = sqlite3_step(forgotten.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Error(rc, "reading forgotten peers");
    sqlite3_stmt* s = forgotten.get();
    if (!IsBytes(s, 0) || !AreIntegers(s, 1, 3)) {
      return Corrupt("a forgotten row has values of the wrong type");
    }
    ForgottenPeer peer{sqlite_detail::ColumnBytes(s, 0),
                       Generation(FromSql(sqlite3_column_int64(s, 1))),
                       WallTime(sqlite3_column_int64(s, 2))};
    if (peer.id.empty()) return Corrupt("a forgotten row has an empty peer id");
    table.RestoreForgotten(std::move(peer));
  }
  return Status::Ok();
}

}  // namespace gossipmonger
