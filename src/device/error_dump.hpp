// Device layer: the firmware's error log (errDump) kept where the firmware keeps it, in the device file
// system: the system log (what ended the Lua VM) and the user's log (errDump.record), each a file of at most
// 4 KiB in which new text pushes the oldest out. Nothing is uploaded: the firmware would send the logs to
// its IoT platform; luatnet logs that it does not. No Lua here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace luatnet::fs {
class DeviceFs;
}

namespace luatnet::device {

class ErrorDump {
 public:
  enum Kind { kSystem = 0, kUser = 1, kKinds = 2 };  // errDump.TYPE_SYS, TYPE_USR
  static constexpr std::size_t kLimit = 4096;
  // The device paths of the two logs (a 0xAA byte keeps them apart from any name a script would pick).
  static const std::string& path(Kind kind);

  explicit ErrorDump(const fs::DeviceFs& files) : files_(files) {}

  // errDump.config(enable, period): disabling deletes both logs; a period asks for uploads (not done).
  void configure(bool enable, std::int64_t upload_period_s);
  [[nodiscard]] bool enabled() const { return enabled_; }
  // Appends to a log (nothing while disabled, nothing for empty text).
  void record(Kind kind, std::string_view text);
  // Whether the log was written since it was last read.
  [[nodiscard]] bool written_since_read(Kind kind) const { return written_[kind] != read_[kind]; }
  // The log's text (empty while disabled); marks it read.
  std::string read(Kind kind);
  void remove(Kind kind);

 private:
  const fs::DeviceFs& files_;
  bool enabled_ = false;
  bool upload_noted_ = false;
  std::uint32_t written_[kKinds] = {};
  std::uint32_t read_[kKinds] = {};
};

}  // namespace luatnet::device
