#include "table.h"

#include <algorithm>
#include <sstream>

namespace gossipmonger::demo {

std::string RenderCell(const CellView& cell) {
  if (!cell.known) return "-";
  const char* state = cell.self ? "self" : (cell.live ? "live" : "DEAD");
  return std::string(state) + " v" + std::to_string(cell.version) + " k" +
         std::to_string(cell.keys);
}

namespace {

std::string Pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string ResumedLine(const TableSnapshot& snapshot) {
  std::string line = "resumed:";
  bool any = false;
  for (std::size_t i = 0; i < snapshot.resumed_at.size() && i < snapshot.ids.size();
       ++i) {
    if (snapshot.resumed_at[i] == 0) continue;
    line += " " + snapshot.ids[i] + " at v" + std::to_string(snapshot.resumed_at[i]);
    any = true;
  }
  return any ? line : "resumed: none (fresh start)";
}

// Every cell of the grid as text, row labels and column header included,
// so that one width can be chosen for all columns.
std::vector<std::vector<std::string>> Grid(const TableSnapshot& snapshot) {
  std::vector<std::vector<std::string>> grid;
  std::vector<std::string> header{"observer"};
  header.insert(header.end(), snapshot.ids.begin(), snapshot.ids.end());
  grid.push_back(std::move(header));
  for (std::size_t row = 0; row < snapshot.cells.size(); ++row) {
    std::vector<std::string> line{row < snapshot.ids.size() ? snapshot.ids[row] : "?"};
    for (const CellView& cell : snapshot.cells[row]) line.push_back(RenderCell(cell));
    grid.push_back(std::move(line));
  }
  return grid;
}

}  // namespace

std::string RenderTable(const TableSnapshot& snapshot) {
  const auto grid = Grid(snapshot);
  std::vector<std::size_t> widths;
  for (const auto& line : grid) {
    if (widths.size() < line.size()) widths.resize(line.size(), 0);
    for (std::size_t c = 0; c < line.size(); ++c)
      widths[c] = std::max(widths[c], line[c].size());
  }
  std::ostringstream out;
  out << snapshot.title << "\n" << ResumedLine(snapshot) << "\n";
  for (const auto& line : grid) {
    std::string text;
    for (std::size_t c = 0; c < line.size(); ++c)
      text += (c == 0 ? "" : "  ") + Pad(line[c], widths[c]);
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << "\n";
  }
  out << "recent events:\n";
  for (const std::string& event : snapshot.recent_events) out << "  " << event << "\n";
  return out.str();
}

std::string ToScreenFrame(const std::string& text) {
  std::string frame = "\x1b[H";
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    frame.append(text, start, end - start);
    frame += "\x1b[K\n";
    start = end + 1;
  }
  return frame + "\x1b[J";
}

}  // namespace gossipmonger::demo
