// Buffer layer: the byte buffer behind Lua's zbuff. It owns a resizable block and the "used" cursor that
// LuatOS scripts read and write through; sockets receive into and send from it in place (prepare/commit,
// view), so no bytes are copied between the network and the script.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace luatnet::buffer {

class ZBuff {
 public:
  ZBuff() = default;
  explicit ZBuff(std::size_t length, std::uint8_t fill = 0) : bytes_(length, fill) {}

  [[nodiscard]] std::size_t length() const { return bytes_.size(); }
  [[nodiscard]] std::size_t used() const { return used_; }
  // Sets the cursor, clamped to the length (as buff:used(n) and buff:seek do).
  void set_used(std::size_t used) { used_ = used > bytes_.size() ? bytes_.size() : used; }

  std::uint8_t* data() { return bytes_.data(); }
  [[nodiscard]] const std::uint8_t* data() const { return bytes_.data(); }
  [[nodiscard]] std::span<const std::uint8_t> view(std::size_t offset, std::size_t count) const;
  [[nodiscard]] std::string_view text(std::size_t offset, std::size_t count) const;
  // The bytes 0..used, as a socket sends them.
  [[nodiscard]] std::span<const std::uint8_t> used_view() const { return view(0, used_); }

  // Reallocates to exactly `length` bytes; new bytes are zero; used is clamped.
  void resize(std::size_t length);
  // Room for at least `count` more bytes after used (grows when needed); fill it, then commit().
  std::span<std::uint8_t> prepare(std::size_t count);
  void commit(std::size_t count) { set_used(used_ + count); }

  // Copies up to the free space after the cursor; advances the cursor; returns bytes written.
  std::size_t write_at_cursor(std::span<const std::uint8_t> source);
  // Copies to `offset`, growing as needed; used becomes max(used, end); returns bytes written.
  std::size_t copy_in(std::size_t offset, std::span<const std::uint8_t> source);
  // Removes [offset, offset+count) of the used part, moving the tail down.
  void erase_used(std::size_t offset, std::size_t count);
  void fill(std::size_t offset, std::size_t count, std::uint8_t value);
  // Frees the block (buff:free()).
  void release();

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t used_ = 0;
};

}  // namespace luatnet::buffer
