// Decode: msgpack-c's visitor parser (msgpack::parse) drives the
// EnvelopeVisitor over the input; no msgpack object tree is built.
#include <exception>
#include <msgpack.hpp>
#include <new>
#include <utility>

#include "envelope_visitor.h"
#include "gossipmonger/msgpack_codec.h"

namespace gossipmonger::codec {

namespace {

// Counts values in wire order and stops the parse at the one numbered
// `stop_at` (from 1).
class ValueCounter : public msgpack::null_visitor {
 public:
  explicit ValueCounter(std::size_t stop_at) : stop_at_(stop_at) {}

  bool visit_nil() { return Count(); }
  bool visit_boolean(bool) { return Count(); }
  bool visit_positive_integer(std::uint64_t) { return Count(); }
  bool visit_negative_integer(std::int64_t) { return Count(); }
  bool visit_float32(float) { return Count(); }
  bool visit_float64(double) { return Count(); }
  bool visit_str(const char*, std::uint32_t) { return Count(); }
  bool visit_bin(const char*, std::uint32_t) { return Count(); }
  bool visit_ext(const char*, std::uint32_t) { return Count(); }
  bool start_array(std::uint32_t) { return Count(); }
  bool start_map(std::uint32_t) { return Count(); }

 private:
  bool Count() { return ++counted_ != stop_at_; }

  std::size_t counted_ = 0;
  const std::size_t stop_at_;
};

// Where value `index` (in wire order, from 0) starts: where the one before
// it ends. msgpack-c does not tell a visitor where a value is, so this
// parses the input again, up to that value (only when reporting an error).
// When a visitor stops the parse, msgpack-c leaves `off` on the last byte
// of the value it stopped at (or of an array's header).
std::size_t ValueStart(std::string_view bytes, std::size_t index) {
  if (index == 0) return 0;
  ValueCounter counter(index);
  std::size_t off = 0;
  msgpack::parse(bytes.data(), bytes.size(), off, counter);
  return off + 1;
}

}  // namespace

Status Decode(std::string_view bytes, const DecodeLimits& limits, Decoded* out) {
  if (out == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "Decode needs somewhere to decode to");
  }
  if (bytes.size() > limits.max_message_bytes) {
    return Status::Error(StatusCode::kLimitExceeded,
                         "message of " + std::to_string(bytes.size()) +
                             " bytes exceeds max_message_bytes (" +
                             std::to_string(limits.max_message_bytes) + ")");
  }
  try {
    Decoded decoded;
    EnvelopeVisitor visitor(limits, bytes.size(), &decoded);
    std::size_t end = 0;
    if (!msgpack::parse(bytes.data(), bytes.size(), end, visitor)) {
      return visitor.Failure(ValueStart(bytes, visitor.failed_value()));
    }
    if (end != bytes.size()) {
      return Status::Error(StatusCode::kProtocolError,
                           "envelope: end: " + std::to_string(bytes.size() - end) +
                               " trailing bytes after the envelope (at byte " +
                               std::to_string(end) + ")");
    }
    decoded.canonical =
        visitor.canonical_bytes() == bytes.size() && visitor.lowest_version();
    *out = std::move(decoded);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    // Every allocation is bounded by the input's size; only a process
    // already out of memory gets here.
    return Status::Error(StatusCode::kLimitExceeded, "out of memory while decoding");
  } catch (...) {
    return Status::Error(StatusCode::kProtocolError, "unexpected error while decoding");
  }
}

}  // namespace gossipmonger::codec
