// The envelope visitor's checks of the envelope and body heads, of array
// counts, and its error reports (see envelope_visitor.h).
#include "envelope_visitor.h"

#include <iterator>
#include <limits>
#include <utility>

namespace gossipmonger::codec {

namespace {

// How an error names each field, in Field's order; several share a name.
// clang-format off
constexpr const char* kFieldNames[] = {
    "envelope", "magic", "protocol version", "message kind", "cluster", "sender id",
    "sender address",
    "body", "flags", "digest", "deltas", "hops left", "range after", "range until",
    "entry", "peer id", "generation", "heartbeat", "max version", "clean through",
    "group", "peer id", "generation", "address", "continues from", "deltas",
    "reset through",
    "delta", "key", "value", "version"};
// clang-format on
static_assert(std::size(kFieldNames) == static_cast<std::size_t>(Field::kVersion) + 1,
              "a name for every field");

const char* FieldName(Field field) {
  return kFieldNames[static_cast<std::size_t>(field)];
}

const char* ExpectedType(Field field) {
  switch (field) {
    case Field::kEnvelope:
    case Field::kBody:
    case Field::kDigest:
    case Field::kGroups:
    case Field::kEntry:
    case Field::kGroup:
    case Field::kDeltas:
    case Field::kDelta:
      return "array";
    case Field::kMagic:
    case Field::kCluster:
    case Field::kSenderId:
    case Field::kSenderAddress:
    case Field::kRangeAfter:
    case Field::kRangeUntil:
    case Field::kEntryId:
    case Field::kGroupId:
    case Field::kAddress:
    case Field::kKey:
      return "str";
    case Field::kValue:
      return "bin";  // only bin: a str is refused (docs/PROTOCOL.md)
    default:
      return "uint";
  }
}

bool Between(Field field, Field first, Field last) {
  return field >= first && field <= last;
}

std::size_t PlusOneSaturated(std::size_t n) {
  return n == std::numeric_limits<std::size_t>::max() ? n : n + 1;
}

}  // namespace

EnvelopeVisitor::EnvelopeVisitor(const DecodeLimits& limits, std::size_t input_bytes,
                                 Decoded* out)
    : limits_(limits), input_bytes_(input_bytes), out_(out) {}

// The envelope's and body's integers, whose values are checked here.
bool EnvelopeVisitor::VisitHeaderUint(std::uint64_t v) {
  Message& message = out_->message;
  switch (next_) {
    case Field::kProtocolVersion:
      return VisitVersion(v);
    case Field::kKind:
      if (v < static_cast<std::uint64_t>(MessageKind::kDigest) ||
          v > static_cast<std::uint64_t>(MessageKind::kPush)) {
        return Fail(StatusCode::kProtocolError, "unknown kind " + std::to_string(v));
      }
      message.kind = static_cast<MessageKind>(v);
      push_ = message.kind == MessageKind::kPush;
      break;
    case Field::kFlags:
      if ((v & ~layout::kKnownFlags) != 0) {
        return Fail(StatusCode::kProtocolError,
                    "unknown flag bits in " + std::to_string(v));
      }
      message.digest_is_partial = (v & layout::kFlagDigestIsPartial) != 0;
      break;
    case Field::kHopsLeft:
      if (v > layout::kMaxHopsLeft) {
        return Fail(StatusCode::kProtocolError, std::to_string(v) + " is above " +
                                                    std::to_string(layout::kMaxHopsLeft));
      }
      message.push.hops_left = static_cast<std::uint8_t>(v);
      break;
    default:
      return WrongType("uint");
  }
  return Accept();
}

bool EnvelopeVisitor::VisitVersion(std::uint64_t v) {
  if (v < kMinProtocolVersion || v > kProtocolVersion) {
    return Fail(StatusCode::kNotSupported,
                "version " + std::to_string(v) + " is not supported (this node speaks " +
                    std::to_string(kMinProtocolVersion) + " and " +
                    std::to_string(kProtocolVersion) + ")");
  }
  // The first two elements, magic and version, are fixed for every
  // version of the protocol; the rest of the envelope depends on it (the
  // same seven elements in versions 1 and 2).
  if (envelope_elements_ != layout::kEnvelopeElements) {
    next_ = Field::kEnvelope;
    Fail(StatusCode::kProtocolError, "an array of " + std::to_string(envelope_elements_) +
                                         " elements instead of " +
                                         std::to_string(layout::kEnvelopeElements));
    failure_.value_index = 0;
    return false;
  }
  version_ = v;
  out_->protocol_version = v;
  if (v >= 2) min_delta_bytes_ = layout::kMinDeltaBytesV2;
  return Accept();
}

bool EnvelopeVisitor::visit_nil() {
  if (next_ == Field::kValue) return VisitValueMarker(EntryKind::kTombstone);
  return WrongType("nil");
}

bool EnvelopeVisitor::visit_boolean(bool v) {
  if (next_ == Field::kValue && v) return VisitValueMarker(EntryKind::kLeave);
  return WrongType("bool");
}

// nil (a tombstone) or true (a leave) where a delta's value belongs. A
// leave is only ever under the empty key, which comes before it.
bool EnvelopeVisitor::VisitValueMarker(EntryKind kind) {
  const bool tombstone = kind == EntryKind::kTombstone;
  if (version_ < 2) {
    return Fail(StatusCode::kProtocolError,
                std::string("expected bin, got ") +
                    (tombstone ? "nil: a tombstone" : "true: a leave") +
                    " needs protocol version 2");
  }
  if (!tombstone && !delta_->key.empty()) {
    return Fail(StatusCode::kProtocolError, "a leave (true) under a key of " +
                                                std::to_string(delta_->key.size()) +
                                                " bytes: a leave's key is empty");
  }
  canonical_bytes_ += 1;  // nil and true are one byte
  delta_->kind = kind;
  uses_v2_ = true;
  return Accept();
}

// Present only above max version (an entry's fifth element, version 2).
bool EnvelopeVisitor::VisitCleanThrough(std::uint64_t v) {
  if (v <= entry_->max_version.value()) {
    return Fail(StatusCode::kProtocolError,
                std::to_string(v) + " is not above max version " +
                    std::to_string(entry_->max_version.value()) +
                    " (it is sent only above it)");
  }
  entry_->clean_through = Version(v);
  return Accept();
}

// Present only when nonzero (a non-push group's fifth element, version 2).
bool EnvelopeVisitor::VisitResetThrough(std::uint64_t v) {
  if (v == 0) {
    return Fail(StatusCode::kProtocolError, "0 (it is sent only when nonzero)");
  }
  group_->reset_through = Version(v);
  return Accept();
}

// An entry or a group one element longer than version 1's: version 2's
// clean through or reset through, which a kPush group never has.
bool EnvelopeVisitor::OptionalElement(std::uint32_t elements, std::uint32_t expected) {
  if (elements != expected + 1) return WrongCount(elements, expected);
  const bool entry = next_ == Field::kEntry;
  if (!entry && push_) {
    return version_ < 2 ? WrongCount(elements, expected)
                        : WrongCount(elements, expected, "a push carries no reset");
  }
  if (version_ < 2) {
    return WrongCount(elements, expected,
                      entry ? "a clean through needs protocol version 2"
                            : "a reset needs protocol version 2");
  }
  uses_v2_ = true;
  return true;
}

bool EnvelopeVisitor::VisitMagic(std::string_view magic) {
  if (magic != layout::kMagic) {
    return Fail(StatusCode::kProtocolError, "not a gossipmonger message");
  }
  return Accept();
}

// The arrays other than elements: their counts are checked before the
// parser goes into them, and before anything is reserved for them.
bool EnvelopeVisitor::OpenArray(std::uint32_t elements) {
  Message& message = out_->message;
  const std::size_t max_peers = PlusOneSaturated(limits_.limits.max_peers);
  switch (next_) {
    case Field::kEnvelope:
      if (elements < 2) {
        return Fail(StatusCode::kProtocolError,
                    "an array of " + std::to_string(elements) + " elements");
      }
      envelope_elements_ = elements;  // checked once the version is known
      return Open(Field::kMagic);
    case Field::kBody: {
      const std::uint32_t expected =
          push_ ? layout::kPushBodyElements : layout::kBodyElements;
      if (elements != expected) return WrongCount(elements, expected);
      return Open(Field::kFlags);
    }
    case Field::kDigest:
      if (!CountWithin(elements, layout::kMinEntryBytes, max_peers, "max_peers + 1")) {
        return false;
      }
      message.digest.reserve(elements);
      return Open(Field::kEntry);
    case Field::kGroups:
      if (!CountWithin(elements, layout::kMinGroupBytes, max_peers, "max_peers + 1")) {
        return false;
      }
      message.deltas.reserve(elements);
      return Open(Field::kGroup);
    case Field::kDeltas:
      if (!CountWithin(elements, min_delta_bytes_, limits_.limits.max_keys_per_peer,
                       "max_keys_per_peer")) {
        return false;
      }
      group_->deltas.reserve(elements);
      return Open(Field::kDelta);
    default:
      return WrongType("array");
  }
}

bool EnvelopeVisitor::Open(Field first_inside) {
  assert(depth_ < kMaxDepth);  // only the layout's arrays are opened
  open_[depth_++] = next_;
  next_ = first_inside;
  ++values_;
  return true;
}

// An array whose elements take at least `min_element_bytes` each and whose
// count may not exceed `max_elements` (named `limit_name`). The bytes that
// remain are bounded by what the values so far took at the least
// (canonical_bytes_), which is exact for canonical input and can only
// overstate what remains otherwise: a count refused here is certainly
// dishonest, and what is reserved stays below input_bytes_ / min bytes.
bool EnvelopeVisitor::CountWithin(std::uint32_t elements, std::size_t min_element_bytes,
                                  std::size_t max_elements, const char* limit_name) {
  const std::size_t remaining =
      input_bytes_ > canonical_bytes_ ? input_bytes_ - canonical_bytes_ : 0;
  // elements > remaining / min, without a division: elements < 2^32 and
  // min_element_bytes <= 5, so the product cannot overflow.
  if (static_cast<std::uint64_t>(elements) * min_element_bytes > remaining) {
    return Fail(StatusCode::kProtocolError,
                "declares " + std::to_string(elements) + " elements but at most " +
                    std::to_string(remaining) + " bytes remain");
  }
  if (elements > max_elements) {
    return Fail(StatusCode::kLimitExceeded, std::to_string(elements) +
                                                " elements exceed " + limit_name + " (" +
                                                std::to_string(max_elements) + ")");
  }
  return true;
}

bool EnvelopeVisitor::WrongCount(std::uint32_t elements, std::uint32_t expected,
                                 std::string_view why) {
  std::string problem = "an array of " + std::to_string(elements) +
                        " elements instead of " + std::to_string(expected);
  if (!why.empty()) problem += ": " + std::string(why);
  return Fail(StatusCode::kProtocolError, std::move(problem));
}

bool EnvelopeVisitor::OverLimit(std::uint32_t size, const StringField& field) {
  return Fail(StatusCode::kLimitExceeded, std::to_string(size) + " bytes exceed " +
                                              field.limit_name + " (" +
                                              std::to_string(field.max_bytes) + ")");
}

bool EnvelopeVisitor::WrongType(std::string_view got) {
  // Version 2 also takes nil and true as a delta's value.
  const char* expected =
      next_ == Field::kValue && version_ >= 2 ? "bin, nil or true" : ExpectedType(next_);
  return Fail(StatusCode::kProtocolError,
              std::string("expected ") + expected + ", got " + std::string(got));
}

bool EnvelopeVisitor::Fail(StatusCode code, std::string problem) {
  failure_.code = code;
  failure_.where = Where();
  failure_.field = next_;
  failure_.problem = std::move(problem);
  failure_.value_index = values_;
  return false;
}

// The part of the message `next_` belongs to, with the element's index:
// an element's own array header counts as the element not yet stored.
std::string EnvelopeVisitor::Where() const {
  const Message& message = out_->message;
  if (Between(next_, Field::kEntry, Field::kCleanThrough)) {
    const std::size_t done = next_ == Field::kEntry ? 0 : 1;
    return "digest entry " + std::to_string(message.digest.size() - done);
  }
  if (Between(next_, Field::kGroup, Field::kResetThrough)) {
    const std::size_t done = next_ == Field::kGroup ? 0 : 1;
    return "deltas group " + std::to_string(message.deltas.size() - done);
  }
  if (Between(next_, Field::kDelta, Field::kVersion)) {
    const std::size_t done = next_ == Field::kDelta ? 0 : 1;
    return "deltas group " + std::to_string(message.deltas.size() - 1) + ", delta " +
           std::to_string(group_->deltas.size() - done);
  }
  if (Between(next_, Field::kHopsLeft, Field::kRangeUntil)) return "push route";
  if (Between(next_, Field::kBody, Field::kGroups)) return "body";
  return "envelope";
}

Status EnvelopeVisitor::Failure(std::size_t at_byte) const {
  std::string text;
  text.reserve(96);
  text += failure_.where;
  text += ": ";
  text += FieldName(failure_.field);
  text += ": ";
  if (failure_.problem.empty()) {
    text += "truncated: only " + std::to_string(input_bytes_ - at_byte) + " bytes remain";
  } else {
    text += failure_.problem;
  }
  text += " (at byte " + std::to_string(at_byte) + ")";
  return Status::Error(failure_.code, std::move(text));
}

}  // namespace gossipmonger::codec
