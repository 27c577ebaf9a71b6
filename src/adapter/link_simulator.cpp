#include "adapter/link_simulator.hpp"

#include <algorithm>

namespace luatnet::adapter {

void LinkSimulator::apply(const LinkConditions& conditions) {
  bool reseed = !enabled_ || conditions.seed != conditions_.seed;
  conditions_ = conditions;
  enabled_ = true;
  if (reseed) random_.seed(conditions.seed);
}

LinkSimulator::Clock::duration LinkSimulator::one_way_delay() {
  Clock::duration delay = conditions_.latency;
  if (conditions_.jitter.count() > 0) {
    std::uniform_int_distribution<long long> spread(0, conditions_.jitter.count());
    delay += std::chrono::milliseconds(spread(random_));
  }
  return delay;
}

LinkSimulator::Clock::time_point LinkSimulator::departure(std::size_t bytes) {
  auto now = Clock::now();
  auto at = now + one_way_delay();
  if (conditions_.bandwidth_bps > 0) {
    auto start = std::max(now, wire_free_);
    wire_free_ = start + std::chrono::nanoseconds(bytes * 8 * 1'000'000'000ULL / conditions_.bandwidth_bps);
    at = std::max(at, wire_free_);
  }
  at = std::max(at, last_departure_);
  last_departure_ = at;
  return at;
}

LinkSimulator::Clock::duration LinkSimulator::arrival_delay() { return one_way_delay(); }

bool LinkSimulator::drop_datagram() {
  if (conditions_.loss <= 0) return false;
  std::uniform_real_distribution<double> chance(0.0, 1.0);
  return chance(random_) < conditions_.loss;
}

}  // namespace luatnet::adapter
