// The live table: what every node (row, the observer) knows of every node
// (column, the subject). Rendering is a pure function of a snapshot so that
// tests can check it cell by cell; the caller decides how to put it on the
// screen (ToScreenFrame for a terminal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gossipmonger::demo {

// One observer's view of one subject.
struct CellView {
  bool known = false;  // false: the observer has not heard of the subject
  bool self = false;   // the observer's own record
  bool live = true;
  std::uint64_t version = 0;  // max_version_seen
  std::size_t keys = 0;
};

struct TableSnapshot {
  std::string title;             // first line, e.g. transport and storage
  std::vector<std::string> ids;  // node ids: row and column labels
  // How each node started: its version when it resumed from storage, 0 when
  // it started fresh. Same order as ids.
  std::vector<std::uint64_t> resumed_at;
  std::vector<std::vector<CellView>> cells;  // cells[observer][subject]
  std::vector<std::string> recent_events;    // oldest first
};

// "self v12 k3", "live v12 k3", "DEAD v12 k3" or "-" (not known).
std::string RenderCell(const CellView& cell);

// The table as text lines joined with '\n' (ending with one): the title, a
// "resumed:" line, the column header, one row per observer with cells padded
// to one width, then "recent events:" and the events.
std::string RenderTable(const TableSnapshot& snapshot);

// `text` redrawn in place: cursor home, every line followed by
// clear-to-end-of-line, then clear-to-end-of-screen, so that a shorter frame
// leaves nothing of the previous one behind.
std::string ToScreenFrame(const std::string& text);

}  // namespace gossipmonger::demo
