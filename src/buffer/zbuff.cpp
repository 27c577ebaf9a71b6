#include "buffer/zbuff.hpp"

#include <algorithm>
#include <cstring>

namespace luatnet::buffer {

std::span<const std::uint8_t> ZBuff::view(std::size_t offset, std::size_t count) const {
  offset = std::min(offset, bytes_.size());
  count = std::min(count, bytes_.size() - offset);
  return {bytes_.data() + offset, count};
}

std::string_view ZBuff::text(std::size_t offset, std::size_t count) const {
  auto bytes = view(offset, count);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

void ZBuff::resize(std::size_t length) {
  bytes_.resize(length, 0);
  bytes_.shrink_to_fit();
  set_used(used_);
}

std::span<std::uint8_t> ZBuff::prepare(std::size_t count) {
  if (bytes_.size() - used_ < count) {
    bytes_.resize(used_ + count, 0);
  }
  return {bytes_.data() + used_, count};
}

std::size_t ZBuff::write_at_cursor(std::span<const std::uint8_t> source) {
  std::size_t count = std::min(source.size(), bytes_.size() - used_);
  if (count > 0) {
    std::memcpy(bytes_.data() + used_, source.data(), count);
  }
  used_ += count;
  return count;
}

std::size_t ZBuff::copy_in(std::size_t offset, std::span<const std::uint8_t> source) {
  std::size_t end = offset + source.size();
  if (end > bytes_.size()) {
    bytes_.resize(end, 0);
  }
  if (!source.empty()) {
    std::memcpy(bytes_.data() + offset, source.data(), source.size());
  }
  used_ = std::max(used_, end);
  return source.size();
}

void ZBuff::erase_used(std::size_t offset, std::size_t count) {
  if (offset >= used_) {
    return;
  }
  count = std::min(count, used_ - offset);
  std::memmove(bytes_.data() + offset, bytes_.data() + offset + count, used_ - offset - count);
  used_ -= count;
}

void ZBuff::fill(std::size_t offset, std::size_t count, std::uint8_t value) {
  if (offset >= bytes_.size()) {
    return;
  }
  count = std::min(count, bytes_.size() - offset);
  std::memset(bytes_.data() + offset, value, count);
}

void ZBuff::release() {
  bytes_.clear();
  bytes_.shrink_to_fit();
  used_ = 0;
}

}  // namespace luatnet::buffer
