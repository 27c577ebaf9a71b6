// Event loop layer: the second half of the one lifetime rule (docs/architecture.md, "Lifetimes"). Work
// posted to the loop or handed to a timer holds its owner weakly: when it runs, the owner, if it still
// exists, is kept alive for the length of the work (what the work reports may drop the owner's last
// reference); if it is gone, the work is skipped.
#pragma once

#include <memory>
#include <utility>

namespace luatnet::loop {

// `work(owner&, args...)` as a handler taking `args...` (none for a post, the error for a timer).
template <typename Owner, typename Work>
auto weak_handler(std::weak_ptr<Owner> owner, Work work) {
  return [owner = std::move(owner), work = std::move(work)](auto&&... args) mutable {
    if (auto self = owner.lock()) work(*self, std::forward<decltype(args)>(args)...);
  };
}

}  // namespace luatnet::loop
