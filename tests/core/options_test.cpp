// Options::Original(): every field against the original's documented
// behaviour (docs/ORIGINAL-API.md, "Options" and "The Original() preset").
// That a cluster converges with it is in runtime_test.cpp.
#include "gossipmonger/options.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "gossipmonger/engine.h"

using namespace gossipmonger;
using namespace std::chrono_literals;

TEST_CASE("Options::Original() is the original's defaults and exchange", "[options]") {
  const Options original = Options::Original();
  // The original's options, at its defaults.
  CHECK(original.dead_peer_phi == 8);
  CHECK(original.gossip_interval == 1000ms);
  CHECK(original.max_deltas_per_gossip == 5);
  CHECK(original.minimum_live_peers == 1);
  CHECK(original.seeds.empty());
  CHECK(original.max_intervals == 100);
  // Its behaviour, which here are options with other defaults: the
  // exponential failure model, one digest exchange per round, no pushes.
  CHECK(original.failure_model == FailureModel::kExponential);
  CHECK(original.gossip_fanout == 1);
  CHECK(original.push_fanout == 0);
  // What the original does not have keeps this implementation's default.
  const Options defaults;
  CHECK(original.min_std_dev == defaults.min_std_dev);
  CHECK(original.local_pause_intervals == defaults.local_pause_intervals);
  CHECK(original.push_max_hops == defaults.push_max_hops);
  CHECK(original.push_rate_limit == defaults.push_rate_limit);
  CHECK(original.limits.max_peer_id_bytes == defaults.limits.max_peer_id_bytes);
  CHECK(original.limits.max_address_bytes == defaults.limits.max_address_bytes);
  CHECK(original.limits.max_key_bytes == defaults.limits.max_key_bytes);
  CHECK(original.limits.max_value_bytes == defaults.limits.max_value_bytes);
  CHECK(original.limits.max_keys_per_peer == defaults.limits.max_keys_per_peer);
  CHECK(original.limits.max_peers == defaults.limits.max_peers);
  // And it is valid as it is.
  CHECK(Engine::ValidateOptions(original, 64 * 1024).ok());
}
