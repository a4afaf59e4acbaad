// The demo's table renderer: exact cells and exact layout.
#include "table.h"

#include <catch2/catch.hpp>

using gossipmonger::demo::CellView;
using gossipmonger::demo::RenderCell;
using gossipmonger::demo::RenderTable;
using gossipmonger::demo::TableSnapshot;
using gossipmonger::demo::ToScreenFrame;

TEST_CASE("a cell shows state, version and key count") {
  CHECK(RenderCell(CellView{}) == "-");
  CHECK(RenderCell(CellView{true, false, true, 12, 3}) == "live v12 k3");
  CHECK(RenderCell(CellView{true, false, false, 4, 0}) == "DEAD v4 k0");
  // A node's own record is "self" whatever its live flag says.
  CHECK(RenderCell(CellView{true, true, false, 7, 5}) == "self v7 k5");
}

TEST_CASE("the table pads every column to its widest cell") {
  TableSnapshot snapshot;
  snapshot.title = "T";
  snapshot.ids = {"node0", "node1"};
  snapshot.resumed_at = {0, 7};
  snapshot.cells = {
      {CellView{true, true, true, 3, 2}, CellView{true, false, false, 7, 1}},
      {CellView{}, CellView{true, true, true, 7, 3}}};
  snapshot.recent_events = {"e1", "e2"};
  CHECK(RenderTable(snapshot) ==
        "T\n"
        "resumed: node1 at v7\n"
        "observer  node0       node1\n"
        "node0     self v3 k2  DEAD v7 k1\n"
        "node1     -           self v7 k3\n"
        "recent events:\n"
        "  e1\n"
        "  e2\n");
}

TEST_CASE("a fresh cluster says so in the header") {
  TableSnapshot snapshot;
  snapshot.title = "T";
  snapshot.ids = {"a", "b"};
  snapshot.resumed_at = {0, 0};
  snapshot.cells = {{CellView{true, true, true, 0, 0}, CellView{}},
                    {CellView{}, CellView{true, true, true, 0, 0}}};
  const std::string text = RenderTable(snapshot);
  CHECK(text.find("resumed: none (fresh start)\n") != std::string::npos);
  CHECK(text.find("a         self v0 k0  -\n") != std::string::npos);
}

TEST_CASE("a screen frame redraws in place and clears leftovers") {
  CHECK(ToScreenFrame("ab\ncd\n") == "\x1b[Hab\x1b[K\ncd\x1b[K\n\x1b[J");
}
