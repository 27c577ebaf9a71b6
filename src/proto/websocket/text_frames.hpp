// Protocol layer, websocket: keeps wslay from judging text. wslay checks that text frames are UTF-8 and ends
// the session when they are not, while the firmware hands any bytes on (servers do send GBK). This follows
// the frame boundaries in the server's byte stream before wslay reads it, marks each text frame as binary,
// and remembers, frame by frame in order, which ones were text.
#pragma once

#include <cstdint>
#include <deque>
#include <span>

namespace luatnet::proto::websocket {

class TextFrameUnmarker {
 public:
  // Rewrites the opcode of every text frame that starts in `bytes` (the stream's next bytes) to binary.
  void scan(std::span<std::uint8_t> bytes);
  // Whether the oldest frame not asked about yet was a text frame (false when none is known).
  bool next_frame_was_text();

 private:
  enum class Part { First, Length, ExtendedLength, Mask, Payload };
  void header_done();

  Part part_ = Part::First;
  bool masked_ = false;
  unsigned needed_ = 0;  // bytes left of the extended length or the mask
  std::uint64_t length_ = 0;
  std::uint64_t payload_left_ = 0;
  std::deque<bool> text_;  // one per frame header seen; at most what wslay has buffered and not reported
};

}  // namespace luatnet::proto::websocket
