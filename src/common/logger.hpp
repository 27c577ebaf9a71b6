// Common: the process-wide log sink shared by every layer. It owns the level threshold, the LuatOS line
// style and where lines go (stderr or a file); formatting of Lua values stays in the Lua bindings.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace luatnet {

// Numeric levels as LuatOS scripts see them through log.setLevel/log.getLevel. Fatal and the numbers above
// it are thresholds only (log.fatal writes at Error): at Fatal nothing is written, as at Silent.
enum class LogLevel : int { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Fatal = 5, Silent = 7 };

class Logger {
 public:
  static Logger& instance();

  void set_level(LogLevel level) { level_ = level; }
  [[nodiscard]] LogLevel level() const { return level_; }
  [[nodiscard]] bool enabled(LogLevel level) const { return static_cast<int>(level) >= static_cast<int>(level_); }

  void set_style(int style) { style_ = style; }
  [[nodiscard]] int style() const { return style_; }

  // Sends lines to `path` (appending); returns false when the file cannot be opened.
  bool open_file(const std::string& path);

  // Writes one finished line (a newline is added), whatever the level.
  void write_line(std::string_view line);

  // Internal messages from C++ layers, shaped like the firmware's "I/tag message".
  void log(LogLevel level, std::string_view tag, std::string_view message);

  static char letter(LogLevel level);

  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;
  ~Logger();

 private:
  Logger() = default;
  LogLevel level_ = LogLevel::Debug;
  int style_ = 0;
  std::FILE* file_ = nullptr;
};

}  // namespace luatnet
