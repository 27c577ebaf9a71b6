#include "loop/timer.hpp"

#include <set>

namespace luatnet::loop::pending_expiries {
namespace {

// Only the loop thread starts and finishes waits.
std::multiset<ProcessClock::time_point>& expiries() {
  static std::multiset<ProcessClock::time_point> pending;
  return pending;
}

}  // namespace

void add(ProcessClock::time_point expiry) { expiries().insert(expiry); }

void remove(ProcessClock::time_point expiry) {
  auto found = expiries().find(expiry);
  if (found != expiries().end()) expiries().erase(found);
}

std::optional<ProcessClock::time_point> earliest() {
  if (expiries().empty()) return std::nullopt;
  return *expiries().begin();
}

}  // namespace luatnet::loop::pending_expiries
