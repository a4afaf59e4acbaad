// Loading a RocksDbStorage: one forward scan of the database into the
// PeerTable (forgotten records first, then each peer's header and data).
#include <rocksdb/iterator.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "record_format.h"
#include "rocksdb_impl.h"

namespace gossipmonger {

using rdb_detail::Fail;

namespace {

namespace fmt = rdb_format;

// The peer being loaded: its header, then its data records, handed to the
// table whole when the next header (or the end) comes.
//
// Cost, for a million keys: the data of a peer is gathered into one arena
// (a memcpy per record) with a small index that is sorted by version (the
// distinctness check), then moved into the peer's map, reserved once.
class PeerLoader {
 public:
  PeerLoader(const std::string& path, PeerTable* table) : path_(path), table_(table) {}

  // Whether `key` is a data record of the current peer.
  bool IsCurrentPeersData(std::string_view key) const {
    return have_peer_ && key.size() > prefix_.size() &&
           key[prefix_.size()] == fmt::kDataTag &&
           key.compare(0, prefix_.size(), prefix_) == 0;
  }

  Status AddData(std::string_view key, std::string_view value) {
    const std::optional<fmt::DataValue> decoded = fmt::DecodeData(value);
    if (!decoded || decoded->version == 0) {  // DecodeData checks the kind
      return Fail(StatusCode::kCorruption, path_,
                  "malformed data record '" + fmt::Printable(key) + "'");
    }
    const std::string_view data_key = key.substr(prefix_.size() + 1);
    entries_.push_back({decoded->version, arena_.size(), data_key.size(),
                        decoded->value.size(), static_cast<EntryKind>(decoded->kind),
                        WallTime(decoded->expires_at)});
    arena_.append(data_key);
    arena_.append(decoded->value);
    return Status::Ok();
  }

  // A record that is neither the format record nor data of the current
  // peer: it must be the header of the next peer.
  Status StartPeer(std::string_view key, std::string_view value) {
    const std::optional<fmt::PeerKey> parsed = fmt::ParsePeerKey(key);
    if (!parsed) {
      return Fail(StatusCode::kCorruption, path_,
                  "unknown record '" + fmt::Printable(key) + "'");
    }
    if (parsed->tag != fmt::kHeaderTag) {
      return Fail(StatusCode::kCorruption, path_,
                  "data record '" + fmt::Printable(key) + "' of peer '" +
                      fmt::Printable(parsed->id) + "' has no peer header");
    }
    Status finished = FinishPeer();
    if (!finished.ok()) return finished;
    const std::optional<fmt::HeaderValue> header = fmt::DecodeHeader(value);
    if (!header) {
      return Fail(StatusCode::kCorruption, path_,
                  "malformed header of peer '" + fmt::Printable(parsed->id) + "'");
    }
    if (parsed->id.empty()) {
      return Fail(StatusCode::kCorruption, path_, "peer header: peer id is empty");
    }
    have_peer_ = true;
    prefix_.assign(key.substr(0, parsed->prefix_size));
    id_ = parsed->id;
    record_.id = parsed->id;
    record_.address = std::string(header->address);
    record_.generation = Generation(header->generation);
    record_.max_version_seen = Version(header->max_version_seen);
    record_.live = header->live;
    record_.down_since = WallTime(header->down_since);
    record_.collected_through = Version(header->collected_through);
    record_.clean_through = Version(header->clean_through);
    return Status::Ok();
  }

  // Hands the current peer, if any, to the table (PeerTable::Restore checks
  // that no version exceeds the header's max_version_seen; we check that
  // versions are distinct: any other state is corruption).
  Status FinishPeer() {
    if (!have_peer_) return Status::Ok();
    // Versions of one peer are distinct (each change takes the next one).
    std::sort(entries_.begin(), entries_.end(),
              [](const Entry& a, const Entry& b) { return a.version < b.version; });
    for (std::size_t i = 1; i < entries_.size(); ++i) {
      if (entries_[i].version == entries_[i - 1].version) {
        return Inconsistent("two keys have version " +
                            std::to_string(entries_[i].version));
      }
    }
    MoveEntriesIntoRecord();
    Status restored = table_->Restore(std::move(record_));
    record_ = PeerRecord();
    if (!restored.ok()) return Inconsistent(restored.message());
    return Status::Ok();
  }

 private:
  struct Entry {
    std::uint64_t version;
    std::size_t key_offset;  // into `arena_`; the value follows the key
    std::size_t key_size;
    std::size_t value_size;
    EntryKind kind;
    WallTime expires_at;
  };

  void MoveEntriesIntoRecord() {
    // Sized once instead of rehashing ~20 times on the way to a million keys.
    record_.data.reserve(entries_.size());
    for (const Entry& e : entries_) {
      record_.data.emplace(
          arena_.substr(e.key_offset, e.key_size),
          VersionedValue{arena_.substr(e.key_offset + e.key_size, e.value_size),
                         Version(e.version), e.kind, e.expires_at});
    }
    entries_.clear();
    arena_.clear();
  }

  Status Inconsistent(const std::string& why) const {
    return Fail(
        StatusCode::kCorruption, path_,
        "the records of peer '" + fmt::Printable(id_) + "' are inconsistent: " + why);
  }

  const std::string& path_;
  PeerTable* table_;
  bool have_peer_ = false;
  std::string prefix_;  // of the current peer, with no tag
  std::string id_;
  std::string arena_;
  std::vector<Entry> entries_;
  PeerRecord record_;  // the current peer, handed to the table whole
};

}  // namespace

Status RocksDbStorage::Impl::RestoreForgotten(std::string_view key,
                                              std::string_view value) {
  const std::optional<fmt::ForgottenValue> decoded = fmt::DecodeForgotten(value);
  if (!decoded || key.size() < 2) {
    return Fail(StatusCode::kCorruption, path,
                "malformed forgotten record '" + fmt::Printable(key) + "'");
  }
  table.RestoreForgotten(ForgottenPeer{std::string(key.substr(1)),
                                       Generation(decoded->generation),
                                       WallTime(decoded->forgotten_at)});
  return Status::Ok();
}

// One forward scan. Records of a peer are contiguous, its header first, so a
// peer's data is collected until the next header and then handed to the
// table whole.
Status RocksDbStorage::Impl::Load() {
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  read.readahead_size = 4u << 20;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read));
  PeerLoader loader(path, &table);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    Status status;
    if (loader.IsCurrentPeersData(key)) {
      status = loader.AddData(key, value);
    } else if (!key.empty() && key[0] == fmt::kForgottenTag) {
      status = RestoreForgotten(key, value);
    } else if (key != fmt::kFormatKey) {
      status = loader.StartPeer(key, value);
    }
    if (!status.ok()) return status;
  }
  if (!it->status().ok()) {
    return rdb_detail::FromRocks(it->status(), path, "cannot read the database");
  }
  return loader.FinishPeer();
}

}  // namespace gossipmonger
