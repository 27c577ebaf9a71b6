// File system layer: the store behind fskv, the firmware's key-value database that survives power loss,
// without Lua. Keys map to opaque values (the Lua binding decides their encoding). It lives in one host
// file that is rewritten whole and atomically (write, then rename) on every change, so a crash never
// leaves half an update. A file that is not a valid store (wrong magic, bad lengths, bad checksum) is
// dropped and the store starts empty, as the firmware reformats a flash region it cannot mount.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace luatnet::fs {

class KvStore {
 public:
  // The firmware's limits: 64 KiB in all, values up to 4096 bytes, keys of 1..63 bytes.
  static constexpr std::size_t kCapacity = 64 * 1024;
  static constexpr std::size_t kMaxValue = 4096;
  static constexpr std::size_t kMaxKey = 63;

  explicit KvStore(std::filesystem::path file);

  enum class Loaded { Fresh, Restored, Corrupt, Unreadable };
  // Reads the file (once; later calls keep the state). Corrupt: the store starts empty.
  Loaded load();
  [[nodiscard]] bool loaded() const { return loaded_; }

  // A key the store accepts: 1..63 bytes, no '/', no NUL (littlefs file names on the device).
  static bool valid_key(std::string_view key);

  // Each change is written through; false when the key or value is refused, the store is full, or
  // the file cannot be written (the change is then undone).
  bool set(std::string_view key, std::string_view value);
  bool remove(std::string_view key);
  bool clear();
  [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
  // Keys in name order, as littlefs lists them; nullopt past the end.
  [[nodiscard]] std::optional<std::string> key_at(std::size_t index) const;

  struct Status {
    std::size_t used = 0;  // bytes the entries take, with their bookkeeping
    std::size_t total = kCapacity;
    std::size_t count = 0;
  };
  [[nodiscard]] Status status() const;

 private:
  bool save() const;
  [[nodiscard]] std::size_t used_bytes() const;

  std::filesystem::path file_;
  std::map<std::string, std::string, std::less<>> entries_;
  bool loaded_ = false;
};

}  // namespace luatnet::fs
