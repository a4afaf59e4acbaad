// The decoder's visitor for msgpack-c's parser (msgpack::parse): msgpack-c
// reads the msgpack forms and calls one method per value, in wire order;
// this visitor checks each value against the field the layout expects
// there (wire_layout.h) and stores it straight into the Decoded.
//
// No object tree and no recursion: the visitor is a state machine, the
// field it expects next (`next_`) plus the stack of arrays open around it
// (at most kMaxDepth, since an array is accepted only where the layout has
// one). msgpack-c hands over an array's element count before its elements
// and a string's bytes only once they are all present, so a count is
// checked against the limits and the bytes that can remain before anything
// is reserved for it, and a string against its limit before it is copied.
//
// Returning false from a method stops the parse; the visitor has then
// recorded what went wrong (Failure()).
//
// The hot methods are defined here so that they inline into the parser's
// instantiation (msgpack_decoder.cpp); error reporting is in
// envelope_visitor.cpp.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gossipmonger/msgpack_codec.h"
#include "gossipmonger/status.h"
#include "gossipmonger/wire_size.h"
#include "wire_layout.h"

namespace gossipmonger::codec {

// Every field of the layout, in wire order. The order is relied on: the
// field after a scalar is the next enumerator (except that a group outside
// kPush has no continues from), the first field inside the arrays
// kEnvelope, kBody, kEntry, kGroup, kDelta is the enumerator after them, and
// the field after the arrays kBody's kGroups and kGroup's kDeltas is the
// enumerator after them. The optional last fields of version 2 (kCleanThrough,
// kResetThrough) are expected after the last mandatory one; an element
// without them simply ends there.
enum class Field : std::uint8_t {
  kEnvelope,
  kMagic,
  kProtocolVersion,
  kKind,
  kCluster,
  kSenderId,
  kSenderAddress,
  kBody,
  kFlags,
  kDigest,
  kGroups,
  kHopsLeft,
  kRangeAfter,
  kRangeUntil,
  kEntry,
  kEntryId,
  kEntryGeneration,
  kHeartbeat,
  kMaxVersion,
  kCleanThrough,  // version 2, optional
  kGroup,
  kGroupId,
  kGroupGeneration,
  kAddress,
  kContinuesFrom,
  kDeltas,
  kResetThrough,  // version 2, optional, never in kPush
  kDelta,
  kKey,
  kValue,
  kVersion,
};

class EnvelopeVisitor {
 public:
  EnvelopeVisitor(const DecodeLimits& limits, std::size_t input_bytes, Decoded* out);

  // After the parse stopped: the index, in wire order, of the value at
  // fault (0 is the envelope's array header), and the error, given where
  // that value starts in the input.
  std::size_t failed_value() const { return failure_.value_index; }
  Status Failure(std::size_t at_byte) const;
  // The input's size if every value had taken its smallest msgpack form
  // (wire_size.h). A decoded input of exactly this size is canonical.
  std::size_t canonical_bytes() const { return canonical_bytes_; }
  // Whether the envelope's version is the lowest that can carry what was
  // decoded (what Encode writes): version 1, or version 2 with a version-2
  // form in it.
  bool lowest_version() const { return version_ == kMinProtocolVersion || uses_v2_; }

  // --- msgpack-c's visitor interface (msgpack/v2/null_visitor.hpp) --------

  // Hot methods: always_inline, since GCC would otherwise leave them out
  // of the parser's (large) loop and pay a call per value.
  [[gnu::always_inline]] bool visit_positive_integer(std::uint64_t v) {
    canonical_bytes_ += wire_size::Uint(v);
    switch (next_) {
      case Field::kEntryGeneration:
        entry_->generation = Generation(v);
        break;
      case Field::kHeartbeat:
        entry_->heartbeat = Heartbeat(v);
        break;
      case Field::kMaxVersion:
        entry_->max_version = Version(v);
        break;
      case Field::kGroupGeneration:
        group_->generation = Generation(v);
        break;
      case Field::kContinuesFrom:
        group_->continues_from = Version(v);
        break;
      case Field::kVersion:
        delta_->version = Version(v);
        break;
      case Field::kCleanThrough:
        return VisitCleanThrough(v);
      case Field::kResetThrough:
        return VisitResetThrough(v);
      default:
        return VisitHeaderUint(v);
    }
    return Accept();
  }

  [[gnu::always_inline]] bool visit_str(const char* data, std::uint32_t size) {
    canonical_bytes_ += wire_size::Str(size);
    const StringField field = StrField(next_);
    if (field.target == nullptr) {
      return next_ == Field::kMagic ? VisitMagic(std::string_view(data, size))
                                    : WrongType("str");
    }
    return Take(field, data, size);
  }

  [[gnu::always_inline]] bool visit_bin(const char* data, std::uint32_t size) {
    canonical_bytes_ += wire_size::Bin(size);
    if (next_ != Field::kValue) return WrongType("bin");
    return Take({&delta_->value, limits_.limits.max_value_bytes, "max_value_bytes"}, data,
                size);
  }

  [[gnu::always_inline]] bool start_array(std::uint32_t elements);

  [[gnu::always_inline]] bool end_array() {
    const Field closed = open_[--depth_];
    // After an element comes the next element (or the end of its array).
    const bool element =
        closed == Field::kEntry || closed == Field::kGroup || closed == Field::kDelta;
    next_ = element ? closed : After(closed);
    return true;
  }

  bool start_array_item() { return true; }
  bool end_array_item() { return true; }

  // nil and true: only a delta's value, in version 2 (a tombstone, a
  // leave). Out of line: rarer than the other values, and kept out of the
  // parser's loop, which version-1 messages run through.
  bool visit_nil();
  bool visit_boolean(bool v);

  // Types the layout never uses.
  bool visit_negative_integer(std::int64_t) { return WrongType("int"); }
  bool visit_float32(float) { return WrongType("float"); }
  bool visit_float64(double) { return WrongType("float"); }
  bool visit_ext(const char*, std::uint32_t) { return WrongType("ext"); }
  bool start_map(std::uint32_t) { return WrongType("map"); }
  // Never reached: the parse stops at start_map.
  bool start_map_key() { return false; }
  bool end_map_key() { return false; }
  bool start_map_value() { return false; }
  bool end_map_value() { return false; }
  bool end_map() { return false; }

  // msgpack-c calls this for the one byte msgpack never uses, 0xc1.
  void parse_error(std::size_t, std::size_t) {
    WrongType("the never-used format byte 0xc1");
  }
  // The input ended inside a value: msgpack-c had not seen all its bytes.
  void insufficient_bytes(std::size_t, std::size_t) {
    Fail(StatusCode::kProtocolError, std::string());
  }

 private:
  static constexpr std::size_t kMaxDepth = 6;  // envelope body groups group deltas delta
  static_assert(kProtocolVersion == 2, "the visitor reads versions 1 and 2");

  // What stopped a decode, but where in the input: msgpack-c does not say
  // where a value starts (msgpack_decoder.cpp finds it).
  struct VisitFailure {
    StatusCode code = StatusCode::kProtocolError;
    std::string where;  // "envelope", "digest entry 3", "deltas group 1, delta 0"...
    Field field = Field::kEnvelope;
    std::string problem;  // empty when the input ended inside the value
    std::size_t value_index = 0;
  };

  struct StringField {
    std::string* target;  // nullptr: not a str field the visitor stores
    std::size_t max_bytes;
    const char* limit_name;
  };

  // The field after `field` when `field` is a scalar other than a group's
  // address, or a finished array that is not an element.
  static Field After(Field field) {
    return static_cast<Field>(static_cast<std::uint8_t>(field) + 1);
  }

  bool Accept() {
    next_ = After(next_);
    ++values_;
    return true;
  }

  [[gnu::always_inline]] StringField StrField(Field field);

  [[gnu::always_inline]] bool Take(const StringField& field, const char* data,
                                   std::uint32_t size) {
    if (size > field.max_bytes) return OverLimit(size, field);
    // Every field is visited once, into a new Decoded: the target is empty,
    // and appending is cheaper than assigning.
    assert(field.target->empty());
    if (size != 0) field.target->append(data, size);
    // Only a kPush group has continues from after its address.
    next_ = next_ == Field::kAddress && !push_ ? Field::kDeltas : After(next_);
    ++values_;
    return true;
  }

  // Once per message, or on error only.
  bool VisitHeaderUint(std::uint64_t v);
  bool VisitVersion(std::uint64_t v);
  bool VisitMagic(std::string_view magic);
  bool VisitValueMarker(EntryKind kind);
  bool VisitCleanThrough(std::uint64_t v);
  bool VisitResetThrough(std::uint64_t v);
  [[gnu::cold]] bool OptionalElement(std::uint32_t elements, std::uint32_t expected);
  bool OpenArray(std::uint32_t elements);
  bool Open(Field first_inside);
  bool CountWithin(std::uint32_t elements, std::size_t min_element_bytes,
                   std::size_t max_elements, const char* limit_name);
  [[gnu::cold]] bool WrongCount(std::uint32_t elements, std::uint32_t expected,
                                std::string_view why = {});
  [[gnu::cold]] bool OverLimit(std::uint32_t size, const StringField& field);
  [[gnu::cold]] bool WrongType(std::string_view got);
  [[gnu::cold]] bool Fail(StatusCode code, std::string problem);
  std::string Where() const;

  const DecodeLimits& limits_;
  const std::size_t input_bytes_;
  Decoded* const out_;

  Field next_ = Field::kEnvelope;
  std::array<Field, kMaxDepth> open_{};
  std::size_t depth_ = 0;
  bool push_ = false;          // a kPush: its body and groups have more fields
  std::uint64_t version_ = 0;  // the envelope's, once read
  bool uses_v2_ = false;       // a version-2 form was read
  std::size_t min_delta_bytes_ = layout::kMinDeltaBytes;
  std::uint32_t envelope_elements_ = 0;
  DigestEntry* entry_ = nullptr;  // the element being filled, owned by *out_
  PeerDeltas* group_ = nullptr;
  KeyDelta* delta_ = nullptr;

  std::size_t values_ = 0;  // values accepted so far
  std::size_t canonical_bytes_ = 0;
  VisitFailure failure_;
};

inline bool EnvelopeVisitor::start_array(std::uint32_t elements) {
  canonical_bytes_ += wire_size::ArrayHeader(elements);
  switch (next_) {
    case Field::kEntry:
      if (elements != layout::kEntryElements &&
          !OptionalElement(elements, layout::kEntryElements)) {
        return false;
      }
      entry_ = &out_->message.digest.emplace_back();
      break;
    case Field::kGroup: {
      const std::uint32_t expected =
          push_ ? layout::kPushGroupElements : layout::kGroupElements;
      if (elements != expected && !OptionalElement(elements, expected)) return false;
      group_ = &out_->message.deltas.emplace_back();
      break;
    }
    case Field::kDelta:
      if (elements != layout::kDeltaElements)
        return WrongCount(elements, layout::kDeltaElements);
      delta_ = &group_->deltas.emplace_back();
      break;
    default:
      // The other arrays, which set next_ themselves.
      return OpenArray(elements);
  }
  // An element: its first field is the next enumerator.
  assert(depth_ < kMaxDepth);
  open_[depth_++] = next_;
  next_ = After(next_);
  ++values_;
  return true;
}

inline EnvelopeVisitor::StringField EnvelopeVisitor::StrField(Field field) {
  const Limits& limits = limits_.limits;
  Message& message = out_->message;
  switch (field) {
    case Field::kEntryId:
      return {&entry_->id, limits.max_peer_id_bytes, "max_peer_id_bytes"};
    case Field::kGroupId:
      return {&group_->id, limits.max_peer_id_bytes, "max_peer_id_bytes"};
    case Field::kAddress:
      return {&group_->address, limits.max_address_bytes, "max_address_bytes"};
    case Field::kKey:
      return {&delta_->key, limits.max_key_bytes, "max_key_bytes"};
    case Field::kCluster:
      return {&out_->cluster, limits_.max_cluster_bytes, "max_cluster_bytes"};
    case Field::kSenderId:
      return {&message.sender.id, limits.max_peer_id_bytes, "max_peer_id_bytes"};
    case Field::kSenderAddress:
      return {&message.sender.address, limits.max_address_bytes, "max_address_bytes"};
    case Field::kRangeAfter:
      return {&message.push.range_after, limits.max_peer_id_bytes, "max_peer_id_bytes"};
    case Field::kRangeUntil:
      return {&message.push.range_until, limits.max_peer_id_bytes, "max_peer_id_bytes"};
    default:
      return {nullptr, 0, nullptr};
  }
}

}  // namespace gossipmonger::codec
