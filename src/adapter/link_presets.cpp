#include "adapter/link_presets.hpp"

#include <array>

namespace luatnet::adapter {
namespace {

struct Preset {
  std::string_view name;
  int latency_ms;  // one way
  int jitter_ms;
  double loss;
  std::uint64_t uplink_kbps;  // the simulator paces what the script sends
};

// Typical values of a module in the field, not the technologies' peaks (docs/drivers.md cites them).
constexpr std::array<Preset, 7> kPresets{{
    {"gprs", 300, 200, 0.02, 40},
    {"edge", 150, 100, 0.01, 120},
    {"nbiot", 800, 400, 0.01, 20},
    {"cat1", 40, 20, 0.005, 5000},
    {"lte", 25, 10, 0.002, 20000},
    {"wifi", 3, 5, 0.005, 20000},
    {"ethernet", 1, 0, 0.0, 10000},
}};

}  // namespace

std::optional<LinkConditions> link_preset(std::string_view name) {
  for (const auto& preset : kPresets) {
    if (preset.name != name) continue;
    LinkConditions conditions;
    conditions.latency = std::chrono::milliseconds(preset.latency_ms);
    conditions.jitter = std::chrono::milliseconds(preset.jitter_ms);
    conditions.loss = preset.loss;
    conditions.bandwidth_bps = preset.uplink_kbps * 1000;
    return conditions;
  }
  return std::nullopt;
}

std::string_view link_preset_names() { return "gprs, edge, nbiot, cat1, lte, wifi, ethernet"; }

}  // namespace luatnet::adapter
