#include "common/logger.hpp"

#include <string>

namespace luatnet {

Logger& Logger::instance() {
  static Logger logger;
  return logger;
}

Logger::~Logger() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

bool Logger::open_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return false;
  }
  if (file_ != nullptr) {
    std::fclose(file_);
  }
  file_ = file;
  // Line buffering keeps the file readable while the script runs and complete after os.exit.
  std::setvbuf(file_, nullptr, _IOLBF, 0);
  return true;
}

void Logger::write_line(std::string_view line) {
  std::FILE* out = file_ != nullptr ? file_ : stderr;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fputc('\n', out);
}

void Logger::log(LogLevel level, std::string_view tag, std::string_view message) {
  if (!enabled(level)) {
    return;
  }
  std::string line;
  line.reserve(tag.size() + message.size() + 4);
  line += letter(level);
  line += '/';
  line += tag;
  line += ' ';
  line += message;
  write_line(line);
}

char Logger::letter(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return 'T';
    case LogLevel::Debug:
      return 'D';
    case LogLevel::Info:
      return 'I';
    case LogLevel::Warn:
      return 'W';
    case LogLevel::Error:
    case LogLevel::Fatal:
    case LogLevel::Silent:
      break;
  }
  return 'E';
}

}  // namespace luatnet
