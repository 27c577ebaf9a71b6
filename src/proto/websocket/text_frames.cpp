#include "proto/websocket/text_frames.hpp"

#include <algorithm>

namespace luatnet::proto::websocket {
namespace {

constexpr std::uint8_t kOpcodeMask = 0x0F;
constexpr std::uint8_t kText = 0x1;
constexpr std::uint8_t kBinary = 0x2;

}  // namespace

void TextFrameUnmarker::scan(std::span<std::uint8_t> bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    std::uint8_t& byte = bytes[at];
    switch (part_) {
      case Part::First: {
        bool text = (byte & kOpcodeMask) == kText;
        if (text) byte = static_cast<std::uint8_t>((byte & ~kOpcodeMask) | kBinary);
        text_.push_back(text);
        part_ = Part::Length;
        break;
      }
      case Part::Length:
        masked_ = (byte & 0x80) != 0;
        length_ = byte & 0x7F;
        if (length_ >= 126) {
          needed_ = length_ == 126 ? 2 : 8;
          length_ = 0;
          part_ = Part::ExtendedLength;
        } else {
          header_done();
        }
        break;
      case Part::ExtendedLength:
        length_ = length_ << 8 | byte;
        if (--needed_ == 0) header_done();
        break;
      case Part::Mask:
        if (--needed_ == 0) {
          masked_ = false;
          header_done();
        }
        break;
      case Part::Payload: {
        auto skipped = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, bytes.size() - at));
        payload_left_ -= skipped;
        at += skipped;
        if (payload_left_ == 0) part_ = Part::First;
        continue;
      }
    }
    ++at;
  }
}

void TextFrameUnmarker::header_done() {
  if (masked_) {
    needed_ = 4;
    part_ = Part::Mask;
    return;
  }
  payload_left_ = length_;
  part_ = payload_left_ > 0 ? Part::Payload : Part::First;
}

bool TextFrameUnmarker::next_frame_was_text() {
  if (text_.empty()) return false;
  bool text = text_.front();
  text_.pop_front();
  return text;
}

}  // namespace luatnet::proto::websocket
