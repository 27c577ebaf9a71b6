// Lua bindings layer: Lua modules compiled into the binary (sys, sysplus), generated at build time.
#pragma once

#include <string_view>
#include <vector>

namespace luatnet::lua {

struct EmbeddedScript {
  std::string_view module;
  std::string_view source;
};

const std::vector<EmbeddedScript>& embedded_scripts();

}  // namespace luatnet::lua
