// File system layer: the device's file system as scripts see it, mapped onto host folders, without Lua.
// `/luadb/NAME` is a read-only view of the project's files (the firmware's script partition: every file
// given on the command line or found below a folder argument, flattened by base name). Every other
// absolute path lives in one host folder (--fs DIR): `/data.txt` is DIR/data.txt. Relative paths start at
// "/" (the firmware's working directory). Paths are normalised first; one that climbs above "/" with
// `..`, or that reaches outside DIR through a symlink, is refused with PathRefused.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace luatnet::fs {

namespace stdfs = std::filesystem;

// A device path that would leave the device's file system.
class PathRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the command line puts on the device: folders for `require` and the files of /luadb/.
struct ProjectLayout {
  std::vector<stdfs::path> require_folders;
  std::map<std::string, stdfs::path> luadb;  // base name -> host file
  std::vector<std::string> warnings;         // files left out of /luadb/ because their base name was taken
};

// The main script's folder goes on the require path. Each file argument goes into /luadb/ and its folder
// on the require path; each folder argument, with every folder below it (hidden ones, such as the default
// .luatnet-fs, and the data folder wherever it is, excepted), goes on the require path and all their files
// into /luadb/. Two files with the same base name: the first one wins (command-line order, then shallower
// before deeper, then by path).
ProjectLayout scan_project(const stdfs::path& main_script, const std::vector<std::string>& arguments,
                           const stdfs::path& data_root);

struct DirEntry {
  std::string name;
  bool is_dir = false;
  std::uint64_t size = 0;
};

struct FsUsage {
  std::uint64_t total_blocks = 0;
  std::uint64_t used_blocks = 0;
  std::uint64_t block_size = 0;
  std::string type;  // "lfs" for the data area, "luadb" for /luadb/
};

class DeviceFs {
 public:
  DeviceFs(stdfs::path data_root, std::map<std::string, stdfs::path> luadb);

  [[nodiscard]] const stdfs::path& data_root() const { return data_root_; }

  // fopen on the device: the file, or nullptr and the errno value (EROFS for a write to /luadb/).
  struct Opened {
    std::FILE* file = nullptr;
    int error = 0;
  };
  Opened open(std::string_view path, const char* mode) const;
  // The host file a read of `path` uses, for functions that open by name (io.lines, loadfile).
  stdfs::path host_file(std::string_view path) const;
  [[nodiscard]] bool file_exists(std::string_view path) const;
  [[nodiscard]] std::optional<std::uint64_t> file_size(std::string_view path) const;
  // os.remove / os.rename: 0 or an errno value.
  int remove(std::string_view path) const;
  int rename(std::string_view from, std::string_view to) const;
  // As the firmware's littlefs: mkdir makes missing parents and accepts an existing folder.
  bool make_dir(std::string_view path) const;
  bool remove_dir(std::string_view path) const;
  [[nodiscard]] bool dir_exists(std::string_view path) const;
  // Up to `count` entries after skipping `offset`, sorted by name; a missing folder lists as empty.
  [[nodiscard]] std::vector<DirEntry> list_dir(std::string_view path, std::size_t offset, std::size_t count) const;
  [[nodiscard]] FsUsage usage(std::string_view path) const;

  // Creates the data folder (it is made on the first write, so read-only runs leave nothing behind).
  bool ensure_data_root() const;

 private:
  struct Location {
    bool in_luadb = false;
    bool is_root = false;  // "/" or "/luadb/"
    std::string device;    // normalised device path
    stdfs::path host;      // empty for a /luadb/ name that does not exist
  };
  Location locate(std::string_view path) const;

  stdfs::path data_root_;
  stdfs::path real_data_root_;  // symlinks resolved, for the check that a path stays inside
  std::map<std::string, stdfs::path> luadb_;
};

}  // namespace luatnet::fs
