// PLACEHOLDER (issue 15): the helper replaces this file.
#include "transport_core/replay_guard.h"

namespace gossipmonger::transport_core {

struct ReplayGuard::Table {};

ReplayGuard::ReplayGuard(std::chrono::milliseconds window, std::size_t max_senders)
    : window_(window), max_senders_(max_senders), table_(std::make_unique<Table>()) {}
ReplayGuard::~ReplayGuard() = default;
ReplayGuard::Verdict ReplayGuard::Check(std::string_view, const SealHeader&,
                                        std::uint64_t) {
  return Verdict::kFresh;
}
std::size_t ReplayGuard::senders() const { return 0; }

}  // namespace gossipmonger::transport_core
