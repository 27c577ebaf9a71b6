// MQTT unit tests: packets written as byte lists, as the specification's tables show them.
#pragma once

#include <initializer_list>

#include "proto/mqtt/mqtt_codec.hpp"

namespace luatnet::proto::mqtt {

inline Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int value : values) out.push_back(static_cast<std::uint8_t>(value));
  return out;
}

}  // namespace luatnet::proto::mqtt
