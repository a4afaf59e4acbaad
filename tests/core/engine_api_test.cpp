// The Engine's public face for a service's deterministic tests: the README's
// example ("Deterministic tests with the Engine") and Create's defaults.
#include <catch2/catch.hpp>

#include "core/engine_test_support.h"

using namespace gmtest;

TEST_CASE("The README's deterministic exchange between two engines", "[engine][api]") {
  // As in README.md, plus the checks its last comment promises.
  gossipmonger::Options options;
  options.seeds = {{"b", "mem:b"}};
  gossipmonger::MemoryStorage storage_a, storage_b;
  std::unique_ptr<gossipmonger::Engine> a, b;  // the clock starts at 0
  REQUIRE(gossipmonger::Engine::Create({"a", "mem:a"}, storage_a, options, &a).ok());
  REQUIRE(gossipmonger::Engine::Create({"b", "mem:b"}, storage_b, {}, &b).ok());
  auto deliver = [](gossipmonger::Engine& from, gossipmonger::Engine& to) {
    for (auto& out : from.TakeOutbox()) to.Receive(out.message, 0s);
  };
  a->Update("color", "blue");
  a->Tick(0s);      // a's first round: its digest to its seed, b
  deliver(*a, *b);  // b learns of a and answers with what it lacks
  deliver(*b, *a);  // a sends it
  deliver(*a, *b);

  const std::vector<Event> events = b->TakeEvents();
  const auto new_peers = EventsOf<NewPeerEvent>(events);
  REQUIRE(new_peers.size() == 1);
  CHECK(new_peers[0].peer == PeerEndpoint{"a", "mem:a"});
  const auto updates = EventsOf<UpdateEvent>(events);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].peer == "a");
  CHECK(updates[0].key == "color");
  CHECK(updates[0].value == "blue");
  CHECK(updates[0].version == Version(1));
  CHECK(events.size() == 2);
  CHECK(storage_b.Get("a")->data.at("color").value == "blue");
}

TEST_CASE("The short Create is the full one with Startup's defaults", "[engine][api]") {
  MemoryStorage short_storage;
  MemoryStorage full_storage;
  std::unique_ptr<Engine> short_engine;
  std::unique_ptr<Engine> full_engine;
  REQUIRE(Engine::Create({"a", "mem:a"}, short_storage, {}, &short_engine).ok());
  REQUIRE(Engine::Create({"a", "mem:a"}, Options{}, full_storage,
                         {.now = Timestamp(0),
                          .fresh_generation = Generation(1),
                          .rng_seed = 0,
                          .max_body_bytes = Engine::kDefaultMaxBodyBytes,
                          .wall_offset = Duration(0)},
                         &full_engine)
              .ok());
  Engine& short_form = *short_engine;
  Engine& full_form = *full_engine;
  CHECK(short_form.generation() == Generation(1));
  CHECK(short_form.options().gossip_fanout == Options{}.gossip_fanout);
  // Same seed, same start: the same choices.
  for (Engine* engine : {&short_form, &full_form}) {
    for (const char* id : {"b", "c", "d", "e", "f"}) {
      engine->Receive(
          MakeMessage(MessageKind::kDigest, Endpoint(id), {Entry(id, 1, 1, 0)}), 0s);
    }
    engine->TakeOutbox();
    engine->Tick(1s);
  }
  std::vector<std::string> short_targets;
  std::vector<std::string> full_targets;
  for (const auto& out : short_form.TakeOutbox()) short_targets.push_back(out.to.id);
  for (const auto& out : full_form.TakeOutbox()) full_targets.push_back(out.to.id);
  CHECK(!short_targets.empty());
  CHECK(short_targets == full_targets);
}
