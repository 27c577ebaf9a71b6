// File system layer: the fskv store and its file format (see kv_store.hpp).
// File: magic "LTNETKV1", entry count (u32), entries (key length u8, key, value length u16, value), then a
// FNV-1a checksum (u32) of everything before it. Integers are little-endian.
#include "fs/kv_store.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <system_error>

namespace luatnet::fs {
namespace {

constexpr std::string_view kMagic = "LTNETKV1";
constexpr std::size_t kEntryOverhead = 1 + 2;
constexpr std::size_t kFileOverhead = kMagic.size() + 4 + 4;

std::uint32_t checksum(std::string_view bytes) {
  std::uint32_t hash = 2166136261u;
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 16777619u;
  return hash;
}

void put(std::string& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// Reads little-endian integers and byte runs, failing (instead of reading past the end) on short input.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool take(int count, std::uint32_t& value) {
    if (bytes_.size() - position_ < static_cast<std::size_t>(count)) return false;
    value = 0;
    for (int i = 0; i < count; ++i)
      value |= std::uint32_t(static_cast<unsigned char>(bytes_[position_ + i])) << (8 * i);
    position_ += static_cast<std::size_t>(count);
    return true;
  }
  bool take(std::size_t count, std::string_view& run) {
    if (bytes_.size() - position_ < count) return false;
    run = bytes_.substr(position_, count);
    position_ += count;
    return true;
  }
  [[nodiscard]] std::size_t position() const { return position_; }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

}  // namespace

KvStore::KvStore(std::filesystem::path file) : file_(std::move(file)) {}

bool KvStore::valid_key(std::string_view key) {
  return !key.empty() && key.size() <= kMaxKey && key.find('/') == std::string_view::npos &&
         key.find('\0') == std::string_view::npos;
}

KvStore::Loaded KvStore::load() {
  if (loaded_) return Loaded::Restored;
  std::error_code error;
  if (!std::filesystem::exists(file_, error)) {
    loaded_ = !error;
    return error ? Loaded::Unreadable : Loaded::Fresh;
  }
  std::ifstream in(file_, std::ios::binary);
  if (!in) return Loaded::Unreadable;
  std::string bytes;
  bytes.resize(kCapacity + kFileOverhead + 1);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  loaded_ = true;

  std::map<std::string, std::string, std::less<>> entries;
  Reader reader(bytes);
  std::string_view magic;
  std::uint32_t count = 0;
  bool ok = reader.take(kMagic.size(), magic) && magic == kMagic && reader.take(4, count);
  for (std::uint32_t i = 0; ok && i < count; ++i) {
    std::uint32_t key_length = 0;
    std::uint32_t value_length = 0;
    std::string_view key;
    std::string_view value;
    ok = reader.take(1, key_length) && reader.take(key_length, key) && reader.take(2, value_length) &&
         reader.take(value_length, value) && valid_key(key) && value_length <= kMaxValue;
    if (ok) entries.emplace(key, value);
  }
  std::size_t body = reader.position();
  std::uint32_t stored = 0;
  ok = ok && reader.take(4, stored) && reader.position() == bytes.size() &&
       stored == checksum(std::string_view(bytes).substr(0, body));
  if (!ok) return Loaded::Corrupt;
  entries_ = std::move(entries);
  return Loaded::Restored;
}

std::size_t KvStore::used_bytes() const {
  std::size_t used = kFileOverhead;
  for (const auto& [key, value] : entries_) used += kEntryOverhead + key.size() + value.size();
  return used;
}

bool KvStore::save() const {
  std::string out(kMagic);
  put(out, static_cast<std::uint32_t>(entries_.size()), 4);
  for (const auto& [key, value] : entries_) {
    put(out, static_cast<std::uint32_t>(key.size()), 1);
    out += key;
    put(out, static_cast<std::uint32_t>(value.size()), 2);
    out += value;
  }
  put(out, checksum(out), 4);

  std::error_code error;
  std::filesystem::create_directories(file_.parent_path(), error);
  auto temporary = file_;
  temporary += ".new";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file.write(out.data(), static_cast<std::streamsize>(out.size()));
    file.flush();
    if (!file) return false;
  }
  std::filesystem::rename(temporary, file_, error);
  return !error;
}

bool KvStore::set(std::string_view key, std::string_view value) {
  if (!loaded_ || !valid_key(key) || value.size() > kMaxValue) return false;
  auto found = entries_.find(key);
  std::optional<std::string> previous;
  if (found != entries_.end()) previous = found->second;
  entries_.insert_or_assign(std::string(key), std::string(value));
  if (used_bytes() <= kCapacity && save()) return true;
  if (previous) {
    entries_.insert_or_assign(std::string(key), std::move(*previous));
  } else {
    entries_.erase(std::string(key));
  }
  return false;
}

bool KvStore::remove(std::string_view key) {
  if (!loaded_) return false;
  auto found = entries_.find(key);
  if (found == entries_.end()) return true;  // littlefs: removing what is not there is no failure
  auto previous = std::move(found->second);
  entries_.erase(found);
  if (save()) return true;
  entries_.emplace(std::string(key), std::move(previous));
  return false;
}

bool KvStore::clear() {
  if (!loaded_) return false;
  auto previous = std::move(entries_);
  entries_.clear();
  if (save()) return true;
  entries_ = std::move(previous);
  return false;
}

std::optional<std::string> KvStore::get(std::string_view key) const {
  auto found = entries_.find(key);
  if (found == entries_.end()) return std::nullopt;
  return found->second;
}

std::optional<std::string> KvStore::key_at(std::size_t index) const {
  if (index >= entries_.size()) return std::nullopt;
  return std::next(entries_.begin(), static_cast<std::ptrdiff_t>(index))->first;
}

KvStore::Status KvStore::status() const { return {used_bytes(), kCapacity, entries_.size()}; }

}  // namespace luatnet::fs
