#include "device/error_dump.hpp"

#include <cstdio>
#include <memory>

#include "common/logger.hpp"
#include "fs/device_fs.hpp"

namespace luatnet::device {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string read_all(const fs::DeviceFs& files, const std::string& path) {
  File file{files.open(path, "rb").file};
  std::string text;
  if (!file) return text;
  char chunk[1024];
  std::size_t count = 0;
  while ((count = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) text.append(chunk, count);
  return text;
}

}  // namespace

const std::string& ErrorDump::path(Kind kind) {
  static const std::string kSystemPath = "/\xAAserr";
  static const std::string kUserPath = "/\xAAuerr";
  return kind == kSystem ? kSystemPath : kUserPath;
}

void ErrorDump::configure(bool enable, std::int64_t upload_period_s) {
  enabled_ = enable;
  if (!enable) {
    remove(kSystem);
    remove(kUser);
    return;
  }
  if (upload_period_s > 0 && !upload_noted_) {
    upload_noted_ = true;
    Logger::instance().log(LogLevel::Info, "errDump",
                           "uploads to the IoT platform are not made on the PC; read the logs with errDump.dump");
  }
}

void ErrorDump::record(Kind kind, std::string_view text) {
  if (!enabled_ || text.empty()) return;
  // The newest kLimit bytes of old text followed by the new text.
  std::string kept = text.size() >= kLimit ? std::string() : read_all(files_, path(kind));
  kept.append(text);
  if (kept.size() > kLimit) kept.erase(0, kept.size() - kLimit);
  File file{files_.open(path(kind), "wb").file};
  if (!file) return;
  std::fwrite(kept.data(), 1, kept.size(), file.get());
  ++written_[kind];
}

std::string ErrorDump::read(Kind kind) {
  read_[kind] = written_[kind];
  return enabled_ ? read_all(files_, path(kind)) : std::string();
}

void ErrorDump::remove(Kind kind) { files_.remove(path(kind)); }

}  // namespace luatnet::device
