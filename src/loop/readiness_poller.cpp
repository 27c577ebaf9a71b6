#include "loop/readiness_poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>

namespace luatnet::loop {
namespace {

std::uint64_t pack(ReadinessPoller::Watch watch) {
  return static_cast<std::uint64_t>(watch.generation) << 32 | watch.slot;
}

}  // namespace

asio::execution_context::id ReadinessPoller::id;

ReadinessPoller::ReadinessPoller(asio::io_context& io) : asio::execution_context::service(io), descriptor_(io) {
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return;  // watch() then refuses every socket
  descriptor_.assign(epoll_fd);
  arm();
}

ReadinessPoller::~ReadinessPoller() = default;  // descriptor_ closes the epoll instance

void ReadinessPoller::shutdown() {
  std::error_code ignored;
  descriptor_.close(ignored);
}

std::optional<ReadinessPoller::Watch> ReadinessPoller::watch(int fd, ReadyHandler& handler) {
  if (!descriptor_.is_open()) return std::nullopt;
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    free_slots_.reserve(slots_.size());  // forget() then never allocates (it runs in destructors)
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Watch watch{slot, slots_[slot].generation};
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u64 = pack(watch);
  if (::epoll_ctl(descriptor_.native_handle(), EPOLL_CTL_ADD, fd, &event) != 0) {
    free_slots_.push_back(slot);
    return std::nullopt;
  }
  slots_[slot].handler = &handler;
  return watch;
}

void ReadinessPoller::forget(Watch watch) noexcept {
  if (watch.slot >= slots_.size()) return;
  Slot& slot = slots_[watch.slot];
  if (slot.generation != watch.generation) return;
  ++slot.generation;  // events harvested for the old owner no longer match
  slot.handler = nullptr;
  free_slots_.push_back(watch.slot);
}

bool ReadinessPoller::current(Watch watch) const {
  return watch.slot < slots_.size() && slots_[watch.slot].generation == watch.generation &&
         slots_[watch.slot].handler != nullptr;
}

void ReadinessPoller::defer(Watch watch) {
  deferred_.push_back(watch);
  if (deferred_.size() == 1) asio::post(descriptor_.get_executor(), [this] { run_deferred(); });
}

void ReadinessPoller::run_deferred() {
  running_.swap(deferred_);
  // A handler may forget watches or defer again (into deferred_, for the next turn) while this runs.
  for (Watch watch : running_) {
    if (current(watch)) slots_[watch.slot].handler->on_deferred();
  }
  running_.clear();
}

void ReadinessPoller::arm() {
  descriptor_.async_wait(asio::posix::descriptor_base::wait_read, [this](const std::error_code& error) {
    if (!error) harvest();
  });
}

void ReadinessPoller::harvest() {
  int count = 0;
  do {
    count = ::epoll_wait(descriptor_.native_handle(), events_.data(), static_cast<int>(events_.size()), 0);
  } while (count < 0 && errno == EINTR);
  for (int i = 0; i < count; ++i) {
    // A handler may forget or add watches (even reuse a slot): look each one up as it comes.
    Watch watch{static_cast<std::uint32_t>(events_[i].data.u64), static_cast<std::uint32_t>(events_[i].data.u64 >> 32)};
    if (current(watch)) slots_[watch.slot].handler->on_ready(events_[i].events);
  }
  arm();
}

}  // namespace luatnet::loop
