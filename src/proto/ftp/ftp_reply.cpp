#include "proto/ftp/ftp_reply.hpp"

#include <array>
#include <charconv>

namespace luatnet::proto::ftp {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The code of a line that starts a reply or ends one ("ddd " or "ddd-"), else nullopt.
std::optional<int> line_code(std::string_view line, char* separator) {
  if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2])) return std::nullopt;
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (code < 100 || code >= 600) return std::nullopt;
  *separator = line.size() > 3 ? line[3] : ' ';
  if (*separator != ' ' && *separator != '-') return std::nullopt;
  return code;
}

}  // namespace

bool ReplyReader::feed(std::span<const std::uint8_t> bytes) {
  for (std::uint8_t byte : bytes) {
    if (broken_) return false;
    if (byte != '\n') {
      if (partial_line_.size() >= kMaxLine) broken_ = true;
      partial_line_.push_back(static_cast<char>(byte));
      continue;
    }
    std::string_view line(partial_line_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!take_line(line)) broken_ = true;
    partial_line_.clear();
  }
  return !broken_;
}

bool ReplyReader::take_line(std::string_view line) {
  char separator = ' ';
  auto code = line_code(line, &separator);
  if (open_reply_) {
    if (open_reply_->text.size() + line.size() + 2 > kMaxReply) return false;
    open_reply_->text.append(line).append("\r\n");
    // A multi-line reply ends with its own code and a space; other lines are free text.
    if (code == open_reply_->code && separator == ' ') {
      ready_.push_back(std::move(*open_reply_));
      open_reply_.reset();
    }
    return true;
  }
  if (!code) return false;  // outside a multi-line reply every line starts with a code
  Reply reply{*code, std::string(line) + "\r\n"};
  if (separator == '-') {
    open_reply_ = std::move(reply);
  } else {
    ready_.push_back(std::move(reply));
  }
  return true;
}

std::optional<Reply> ReplyReader::next() {
  if (ready_.empty()) return std::nullopt;
  Reply reply = std::move(ready_.front());
  ready_.pop_front();
  return reply;
}

std::optional<PassiveAddress> parse_passive(const Reply& reply) {
  if (reply.code != 227) return std::nullopt;
  std::string_view text(reply.text);
  text.remove_prefix(3);
  // The first run of six comma-separated numbers after the code.
  for (std::size_t start = 0; start < text.size(); ++start) {
    if (!is_digit(text[start])) continue;
    std::array<unsigned, 6> numbers{};
    std::size_t at = start;
    std::size_t count = 0;
    for (; count < numbers.size(); ++count) {
      auto [end, error] = std::from_chars(text.data() + at, text.data() + text.size(), numbers[count]);
      if (error != std::errc() || numbers[count] > 255) break;
      at = static_cast<std::size_t>(end - text.data());
      if (count + 1 < numbers.size()) {
        if (at >= text.size() || text[at] != ',') break;
        ++at;
      }
    }
    if (count == numbers.size()) {
      PassiveAddress address;
      address.host = std::to_string(numbers[0]) + "." + std::to_string(numbers[1]) + "." + std::to_string(numbers[2]) +
                     "." + std::to_string(numbers[3]);
      address.port = static_cast<std::uint16_t>(numbers[4] * 256 + numbers[5]);
      if (address.port == 0) return std::nullopt;
      return address;
    }
    // Skip the rest of this number before looking again.
    while (start + 1 < text.size() && is_digit(text[start + 1])) ++start;
  }
  return std::nullopt;
}

bool unroutable_passive_host(std::string_view host) {
  for (std::string_view prefix : {"172.", "192.", "10.", "127.0.0.1", "169.254.0.0", "169.254.0.16", "0."}) {
    if (host.starts_with(prefix)) return true;
  }
  return false;
}

std::optional<std::uint64_t> parse_size(const Reply& reply) {
  if (reply.code != 213 || reply.text.size() < 5) return std::nullopt;
  std::uint64_t size = 0;
  const char* first = reply.text.data() + 4;
  auto [end, error] = std::from_chars(first, reply.text.data() + reply.text.size(), size);
  if (error != std::errc() || end == first) return std::nullopt;
  return size;
}

}  // namespace luatnet::proto::ftp
