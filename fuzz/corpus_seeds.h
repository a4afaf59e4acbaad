// The seed corpus of the decode fuzzer (fuzz/corpus/decode/): a few dozen
// small encodings, valid ("valid-*") and not ("invalid-*"), of protocol
// versions 1 and 2 ("*-v2-*": docs/PROTOCOL.md, "Version 2"). make_corpus.cpp
// writes them; tests/codec/codec_corpus_test.cpp checks that the committed
// files are still exactly these bytes and decode as their names say.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gossipmonger/msgpack_codec.h"

namespace gossipmonger::fuzz {

struct Seed {
  std::string name;  // file name
  std::string bytes;
};

// Protocol version 2: tombstones, leaves, a reset, a clean through, and
// what a decoder refuses of them.
inline std::vector<Seed> V2Seeds() {
  auto encode = [](const Message& m) {
    std::string out;
    codec::Encode("prod", m, out);
    return out;
  };
  const KeyDelta tombstone{"color", "", Version(5), EntryKind::kTombstone};
  const KeyDelta leave{"", "", Version(6), EntryKind::kLeave};

  Message reset;
  reset.kind = MessageKind::kDigestReply;
  reset.sender = {"b", "10.0.0.2:7946"};
  reset.digest = {{"b", Generation(1700000100), Heartbeat(301), Version(2), Version(9)}};
  reset.deltas = {{"c",
                   Generation(7),
                   "10.0.0.3:7946",
                   {{"size", "XL", Version(4)}, tombstone, leave}}};
  reset.deltas[0].reset_through = Version(300);

  Message push;
  push.kind = MessageKind::kPush;
  push.sender = {"a", "10.0.0.1:7946"};
  push.deltas = {{"a", Generation(1700000000), "", {tombstone, leave}}};
  push.deltas[0].continues_from = Version(4);
  push.push = {3, "a", "z"};

  Message ack;
  ack.kind = MessageKind::kDeltas;
  ack.sender = {"a", "10.0.0.1:7946"};
  ack.deltas = {{"a", Generation(1700000000), "", {tombstone}}};
  Message bad_leave = ack;
  bad_leave.deltas[0].deltas = {{"k", "", Version(6), EntryKind::kLeave}};

  const std::string good = encode(reset);
  std::string in_v1 = encode(ack);
  in_v1[4] = 1;
  std::string reply_in_v1 = good;
  reply_in_v1[4] = 1;
  std::string reset_in_push = encode(push);
  // The pushed group [5 ...] made [6 ...] with a reset through after its deltas.
  reset_in_push[reset_in_push.find(
      "\x95\xa1"
      "a")] = '\x96';
  reset_in_push.insert(reset_in_push.size() - 5, 1, '\x09');
  return {
      {"valid-v2-reset", good},
      {"valid-v2-push", encode(push)},
      {"valid-v2-tombstone", encode(ack)},
      {"invalid-v2-in-v1-envelope", in_v1},
      {"invalid-v2-reply-in-v1-envelope", reply_in_v1},
      {"invalid-v2-reset-in-push", reset_in_push},
      {"invalid-v2-leave-with-key", encode(bad_leave)},
      {"invalid-v2-truncated", good.substr(0, good.size() - 3)},
  };
}

inline std::vector<Seed> CorpusSeeds() {
  auto encode = [](const Message& m, std::string_view cluster = "prod") {
    std::string out;
    codec::Encode(cluster, m, out);
    return out;
  };
  auto raw = [](std::initializer_list<int> bytes) {
    std::string s;
    for (int b : bytes) s.push_back(static_cast<char>(b));
    return s;
  };

  Message syn;
  syn.kind = MessageKind::kDigest;
  syn.sender = {"a", "10.0.0.1:7946"};
  syn.digest = {{"a", Generation(1700000000), Heartbeat(12), Version(3)},
                {"b", Generation(1700000100), Heartbeat(300), Version(0)},
                {"c", Generation(1), Heartbeat(70000), Version(65536)}};

  Message syn_partial = syn;
  syn_partial.digest_is_partial = true;
  syn_partial.digest.resize(1);

  Message empty_syn;
  empty_syn.kind = MessageKind::kDigest;
  empty_syn.sender = {"a", "h:1"};

  Message reply;
  reply.kind = MessageKind::kDigestReply;
  reply.sender = {"b", "10.0.0.2:7946"};
  reply.digest = {{"b", Generation(1700000100), Heartbeat(301), Version(2)},
                  {"d", Generation(0), Heartbeat(0), Version(0)}};
  reply.deltas = {{"b",
                   Generation(1700000100),
                   "",
                   {{"color", "red", Version(1)}, {"size", "XL", Version(2)}}},
                  {"e", Generation(5), "10.0.0.5:7946", {}}};

  Message ack;
  ack.kind = MessageKind::kDeltas;
  ack.sender = {"a", "10.0.0.1:7946"};
  ack.deltas = {
      {"a",
       Generation(1700000000),
       "10.0.0.1:7946",
       {{std::string("bin\0key", 7), std::string("\0\xff\x01\x80", 4), Version(1)},
        {"long", std::string(300, '\x7f'), Version(2)},
        {"max", "", Version(~0ULL)}}}};

  Message push;
  push.kind = MessageKind::kPush;
  push.sender = {"a", "10.0.0.1:7946"};
  push.deltas = {{"a",
                  Generation(1700000000),
                  "10.0.0.1:7946",
                  {{"color", "blue", Version(3)}, {"size", "S", Version(4)}}}};
  push.deltas[0].continues_from = Version(2);
  push.push = {11, "a", "a"};

  Message long_ids;
  long_ids.kind = MessageKind::kDigest;
  long_ids.sender = {std::string(40, 'n'), std::string(32, 'h')};
  long_ids.digest = {
      {std::string(40, 'n'), Generation(~0ULL), Heartbeat(255), Version(256)}};

  const std::string good = encode(reply);
  std::string trailing = encode(syn);
  trailing.push_back('\0');
  std::string version3 = encode(syn);
  version3[4] = 3;
  std::string version2_of_v1 = encode(syn);
  version2_of_v1[4] = 2;
  std::string unknown_kind = encode(syn);
  unknown_kind[5] = 9;
  std::string wrong_magic = encode(syn);
  wrong_magic[3] = 'x';
  std::string value_as_str = encode(ack);
  // The first value, bin8 of 4 bytes, made a fixstr of 4 bytes.
  const std::size_t at = value_as_str.find(raw({0xc4, 0x04, 0x00, 0xff}));
  value_as_str.replace(at, 2, raw({0xa4}));

  std::vector<Seed> seeds = {
      {"valid-syn", encode(syn)},
      {"valid-syn-partial", encode(syn_partial)},
      {"valid-syn-empty", encode(empty_syn, "")},
      {"valid-synack", good},
      {"valid-ack-binary", encode(ack)},
      {"valid-long-ids", encode(long_ids, std::string(40, 'c'))},
      // Valid but not canonical: widened integer, string and array forms.
      {"valid-noncanonical",
       raw({0xdc, 0x00, 0x07, 0xd9, 0x02, 'g',  'm',  0xcc, 0x01, 0x03, 0xda, 0x00,
            0x01, 'c',  0xa1, 'a',  0xa3, 'h',  ':',  '1',  0x93, 0xcd, 0x00, 0x00,
            0xdd, 0x00, 0x00, 0x00, 0x00, 0x91, 0x94, 0xa1, 'p',  0xce, 0x00, 0x00,
            0x00, 0x05, 0xa0, 0x91, 0x93, 0xa1, 'k',  0xc6, 0x00, 0x00, 0x00, 0x01,
            'v',  0xcf, 0,    0,    0,    0,    0,    0,    0,    0x07})},
      {"invalid-truncated", good.substr(0, good.size() / 2)},
      {"valid-push", encode(push)},
      {"invalid-trailing", trailing},
      {"invalid-version-3", version3},
      // Version 2 with nothing that needs it: valid, not canonical.
      {"valid-noncanonical-version-2", version2_of_v1},
      {"invalid-unknown-kind", unknown_kind},
      {"invalid-wrong-magic", wrong_magic},
      {"invalid-value-as-str", value_as_str},
      // A digest declaring 2^32 - 1 entries in a 20-byte message.
      {"invalid-huge-array", raw({0x97, 0xa2, 'g', 'm', 0x01, 0x01, 0xa0, 0xa1, 'a', 0xa1,
                                  'h', 0x93, 0x00, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x90})},
      // Nested arrays where the cluster name belongs.
      {"invalid-nested", raw({0x97, 0xa2, 'g', 'm', 0x01, 0x01, 0x91, 0x91, 0x91, 0x91,
                              0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90})},
  };
  for (Seed& seed : V2Seeds()) seeds.push_back(std::move(seed));
  return seeds;
}

}  // namespace gossipmonger::fuzz
