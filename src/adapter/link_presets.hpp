// Adapter layer: named sets of simulated link conditions (gprs, edge, nbiot, cat1, lte, wifi, ethernet)
// that a "simulate" entry or a device profile starts from before its own fields override them. The
// figures and where they come from are in docs/drivers.md.
#pragma once

#include <optional>
#include <string_view>

#include "adapter/link_simulator.hpp"

namespace luatnet::adapter {

// The preset's conditions (link up, no start delay), or nothing for an unknown name.
std::optional<LinkConditions> link_preset(std::string_view name);
// The names, comma separated, for error messages.
std::string_view link_preset_names();

}  // namespace luatnet::adapter
