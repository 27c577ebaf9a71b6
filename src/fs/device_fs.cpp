// File system layer: device paths mapped to host files (see device_fs.hpp for the mapping and its rules).
#include "fs/device_fs.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace luatnet::fs {
namespace {

constexpr std::uint64_t kDataBlockSize = 4096;  // littlefs sectors on the modules
constexpr std::uint64_t kLuadbBlockSize = 512;  // as the firmware reports /luadb/

bool is_hidden(const stdfs::path& path) { return path.filename().string().starts_with("."); }

// Folders and files below `folder`, shallower first, then by path, so the order never depends on the
// order the host lists a directory in.
void sort_by_depth(std::vector<stdfs::path>& paths, const stdfs::path& folder) {
  auto depth = [&folder](const stdfs::path& path) {
    auto relative = path.lexically_relative(folder);
    return std::distance(relative.begin(), relative.end());
  };
  std::sort(paths.begin(), paths.end(), [&depth](const stdfs::path& a, const stdfs::path& b) {
    auto depth_a = depth(a);
    auto depth_b = depth(b);
    return depth_a != depth_b ? depth_a < depth_b : a < b;
  });
}

bool within(const stdfs::path& path, const stdfs::path& root) {
  auto relative = path.lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

std::uint64_t blocks(std::uint64_t bytes, std::uint64_t block_size) { return (bytes + block_size - 1) / block_size; }

}  // namespace

ProjectLayout scan_project(const stdfs::path& main_script, const std::vector<std::string>& arguments,
                           const stdfs::path& data_root) {
  ProjectLayout layout;
  std::error_code ignored;
  auto real_data_root = stdfs::weakly_canonical(data_root, ignored);
  auto left_out = [&real_data_root](const stdfs::path& path) {
    std::error_code error;
    return is_hidden(path) || stdfs::weakly_canonical(path, error) == real_data_root;
  };
  auto add_folder = [&layout](const stdfs::path& folder) {
    auto normal = (folder.empty() ? stdfs::path(".") : folder).lexically_normal();
    if (std::find(layout.require_folders.begin(), layout.require_folders.end(), normal) ==
        layout.require_folders.end()) {
      layout.require_folders.push_back(normal);
    }
  };
  auto add_file = [&layout](const stdfs::path& file) {
    auto normal = file.lexically_normal();
    auto [entry, inserted] = layout.luadb.emplace(normal.filename().string(), normal);
    std::error_code error;
    // The same file named twice (main.lua and its own folder, "./x" and "x") is no clash.
    if (!inserted && !stdfs::equivalent(entry->second, normal, error)) {
      layout.warnings.push_back("/luadb/" + entry->first + " is " + entry->second.string() + "; " + normal.string() +
                                " has the same name and is left out");
    }
  };
  add_folder(main_script.parent_path());
  add_file(main_script);
  for (const auto& argument : arguments) {
    stdfs::path root(argument);
    if (!stdfs::is_directory(root)) {
      add_folder(root.parent_path());
      add_file(root);
      continue;
    }
    std::vector<stdfs::path> folders{root};
    std::vector<stdfs::path> files;
    std::error_code error;
    for (auto it = stdfs::recursive_directory_iterator(root, stdfs::directory_options::skip_permission_denied, error);
         !error && it != stdfs::recursive_directory_iterator(); it.increment(error)) {
      if (left_out(it->path())) {
        if (it->is_directory()) it.disable_recursion_pending();
      } else if (it->is_directory()) {
        folders.push_back(it->path());
      } else if (it->is_regular_file()) {
        files.push_back(it->path());
      }
    }
    sort_by_depth(folders, root);
    sort_by_depth(files, root);
    for (const auto& folder : folders) add_folder(folder);
    for (const auto& file : files) add_file(file);
  }
  return layout;
}

DeviceFs::DeviceFs(stdfs::path data_root, std::map<std::string, stdfs::path> luadb)
    : data_root_(stdfs::absolute(data_root).lexically_normal()), luadb_(std::move(luadb)) {
  std::error_code error;
  real_data_root_ = stdfs::weakly_canonical(data_root_, error);
  if (error) real_data_root_ = data_root_;
}

DeviceFs::Location DeviceFs::locate(std::string_view path) const {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = std::min(path.find('/', start), path.size());
    auto part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) throw PathRefused(std::string(path) + ": the path leaves the device's file system");
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  Location where;
  for (auto part : parts) where.device.append("/").append(part);
  if (where.device.empty()) where.device = "/";
  where.is_root = parts.empty();
  if (!parts.empty() && parts.front() == "luadb") {
    where.in_luadb = true;
    where.is_root = parts.size() == 1;
    if (parts.size() == 2) {
      auto found = luadb_.find(std::string(parts[1]));
      if (found != luadb_.end()) where.host = found->second;
    }
    return where;
  }
  where.host = data_root_;
  for (auto part : parts) where.host /= part;
  // Symlinks inside the data folder may point anywhere: follow them and refuse what ends up outside.
  std::error_code error;
  auto real_host = stdfs::weakly_canonical(where.host, error);
  if (error || (real_host != real_data_root_ && !within(real_host, real_data_root_))) {
    throw PathRefused(std::string(path) + ": the path leads outside the device's file system (symlink)");
  }
  return where;
}

bool DeviceFs::ensure_data_root() const {
  std::error_code error;
  stdfs::create_directories(data_root_, error);
  return stdfs::is_directory(data_root_, error);
}

DeviceFs::Opened DeviceFs::open(std::string_view path, const char* mode) const {
  auto where = locate(path);
  bool reads_only = mode[0] == 'r' && std::strchr(mode, '+') == nullptr;
  if (where.in_luadb) {
    // The firmware's luadb opens "r+" too (writes then fail); it never opens the project's files for writing.
    if (mode[0] != 'r') return {nullptr, EROFS};
    if (where.host.empty()) return {nullptr, where.is_root ? EISDIR : ENOENT};
    std::FILE* file = std::fopen(where.host.c_str(), "rb");
    return {file, file ? 0 : errno};
  }
  std::error_code error;
  if (where.is_root || stdfs::is_directory(where.host, error)) return {nullptr, EISDIR};  // glibc opens folders
  if (!reads_only) ensure_data_root();
  std::FILE* file = std::fopen(where.host.c_str(), mode);
  return {file, file ? 0 : errno};
}

stdfs::path DeviceFs::host_file(std::string_view path) const { return locate(path).host; }

bool DeviceFs::file_exists(std::string_view path) const {
  auto where = locate(path);
  std::error_code error;
  return !where.host.empty() && !where.is_root && stdfs::is_regular_file(where.host, error);
}

std::optional<std::uint64_t> DeviceFs::file_size(std::string_view path) const {
  if (!file_exists(path)) return std::nullopt;
  std::error_code error;
  auto size = stdfs::file_size(locate(path).host, error);
  return error ? std::nullopt : std::optional<std::uint64_t>(size);
}

int DeviceFs::remove(std::string_view path) const {
  auto where = locate(path);
  if (where.in_luadb) return EROFS;
  if (where.is_root) return EBUSY;
  return std::remove(where.host.c_str()) == 0 ? 0 : errno;
}

int DeviceFs::rename(std::string_view from, std::string_view to) const {
  auto source = locate(from);
  auto target = locate(to);
  if (source.in_luadb || target.in_luadb) return EROFS;
  if (source.is_root || target.is_root) return EBUSY;
  return std::rename(source.host.c_str(), target.host.c_str()) == 0 ? 0 : errno;
}

bool DeviceFs::make_dir(std::string_view path) const {
  auto where = locate(path);
  if (where.in_luadb) return false;
  if (!ensure_data_root()) return false;
  std::error_code error;
  stdfs::create_directories(where.host, error);
  return stdfs::is_directory(where.host, error);
}

bool DeviceFs::remove_dir(std::string_view path) const {
  auto where = locate(path);
  if (where.in_luadb || where.is_root) return false;
  std::error_code error;
  return stdfs::is_directory(where.host, error) && stdfs::remove(where.host, error);
}

bool DeviceFs::dir_exists(std::string_view path) const {
  auto where = locate(path);
  std::error_code error;
  if (where.in_luadb) return where.is_root;
  return where.is_root || stdfs::is_directory(where.host, error);
}

std::vector<DirEntry> DeviceFs::list_dir(std::string_view path, std::size_t offset, std::size_t count) const {
  auto where = locate(path);
  std::vector<DirEntry> entries;
  std::error_code error;
  if (where.in_luadb) {
    if (!where.is_root) return entries;
    for (const auto& [name, host] : luadb_) {
      entries.push_back({name, false, stdfs::file_size(host, error)});
      if (error) entries.back().size = 0;
    }
  } else {
    if (!stdfs::is_directory(where.host, error)) return entries;
    for (const auto& item : stdfs::directory_iterator(where.host, error)) {
      std::error_code item_error;
      bool is_dir = item.is_directory(item_error);
      std::uint64_t size = is_dir ? 0 : item.file_size(item_error);
      entries.push_back({item.path().filename().string(), is_dir, item_error ? 0 : size});
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  }
  entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(std::min(offset, entries.size())));
  if (entries.size() > count) entries.resize(count);
  return entries;
}

FsUsage DeviceFs::usage(std::string_view path) const {
  auto where = locate(path);
  if (where.in_luadb) {
    std::uint64_t bytes = 0;
    std::error_code error;
    for (const auto& [name, host] : luadb_) {
      auto size = stdfs::file_size(host, error);
      if (!error) bytes += size;
    }
    std::uint64_t used = blocks(bytes, kLuadbBlockSize) + 1;
    return {used, used, kLuadbBlockSize, "luadb"};
  }
  // The data folder may not exist yet: the host file system that will hold it answers.
  auto probe = data_root_;
  while (!stdfs::exists(probe) && probe.has_parent_path() && probe != probe.parent_path()) probe = probe.parent_path();
  struct statvfs info {};
  if (::statvfs(probe.c_str(), &info) != 0) return {0, 0, kDataBlockSize, "lfs"};
  std::uint64_t total = static_cast<std::uint64_t>(info.f_blocks) * info.f_frsize;
  std::uint64_t free = static_cast<std::uint64_t>(info.f_bfree) * info.f_frsize;
  return {total / kDataBlockSize, (total - free) / kDataBlockSize, kDataBlockSize, "lfs"};
}

}  // namespace luatnet::fs
