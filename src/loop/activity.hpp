// Event loop layer: liveness as libuv counts it (uv_ref / uv_unref). An owner whose work under way will
// post a message (a socket connecting, a reconnect waiting for its delay, a ping awaiting its answer)
// holds an ActiveHandle from the state change that starts that work to the one that ends it; the loop is
// idle when no handle is held and no script timer runs, and asks no owner. The count belongs to the
// io_context (one per loop, like the ReadinessPoller), so every owner that has the io_context can take a
// handle. A handle counts once however often it is held, and gives its count back when it is destroyed.
#pragma once

#include <asio/io_context.hpp>
#include <cstddef>
#include <utility>

namespace luatnet::loop {

class ActivityCount : public asio::execution_context::service {
 public:
  using key_type = ActivityCount;
  inline static asio::execution_context::id id;

  explicit ActivityCount(asio::io_context& io) : asio::execution_context::service(io) {}

  // The count of `io`, made on first use.
  static ActivityCount& of(asio::io_context& io) { return asio::use_service<ActivityCount>(io); }

  // How many handles are held now.
  [[nodiscard]] std::size_t held() const { return held_; }

 private:
  friend class ActiveHandle;
  void shutdown() override {}

  std::size_t held_ = 0;
};

class ActiveHandle {
 public:
  // Counts into `io`'s ActivityCount; not held until hold().
  explicit ActiveHandle(asio::io_context& io) : count_(&ActivityCount::of(io)) {}
  ~ActiveHandle() { release(); }
  ActiveHandle(const ActiveHandle&) = delete;
  ActiveHandle& operator=(const ActiveHandle&) = delete;
  // The hold moves with the handle; the source is left released.
  ActiveHandle(ActiveHandle&& other) noexcept : count_(other.count_), held_(std::exchange(other.held_, false)) {}
  ActiveHandle& operator=(ActiveHandle&& other) noexcept {
    if (this != &other) {
      release();
      count_ = other.count_;
      held_ = std::exchange(other.held_, false);
    }
    return *this;
  }

  // Both do nothing when the handle is already in that state, so no owner can count twice or give back
  // what it did not take.
  void hold() {
    if (held_) return;
    held_ = true;
    ++count_->held_;
  }
  void release() {
    if (!held_) return;
    held_ = false;
    --count_->held_;
  }
  void set(bool held) { held ? hold() : release(); }
  [[nodiscard]] bool held() const { return held_; }

 private:
  ActivityCount* count_;
  bool held_ = false;
};

}  // namespace luatnet::loop
