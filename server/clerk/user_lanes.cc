#include "server/clerk/user_lanes.h"

#include <utility>

namespace userimage {

void UserLanes::Enter(absl::string_view user_id,
                      std::shared_ptr<Member> member) {
  std::shared_ptr<Member> active;
  std::shared_ptr<Member> replaced;
  bool turn = false;
  {
    absl::MutexLock lock(&mu_);
    Line& line = lines_[user_id];
    if (line.active == nullptr) {
      line.active = member;
      turn = true;
    } else {
      active = line.active;
      replaced = std::exchange(line.waiting, member);
    }
  }
  if (replaced != nullptr) replaced->OnSuperseded();
  if (active != nullptr) active->OnSuperseded();
  if (turn) member->OnTurn();
}

void UserLanes::Leave(absl::string_view user_id, const Member* member) {
  std::shared_ptr<Member> next;
  {
    absl::MutexLock lock(&mu_);
    auto it = lines_.find(user_id);
    if (it == lines_.end()) return;
    Line& line = it->second;
    if (line.waiting.get() == member) {
      line.waiting = nullptr;
      return;
    }
    if (line.active.get() != member) return;
    next = std::move(line.waiting);
    line.active = next;
    if (next == nullptr) lines_.erase(it);
  }
  if (next != nullptr) next->OnTurn();
}

size_t UserLanes::lines() const {
  absl::MutexLock lock(&mu_);
  return lines_.size();
}

}  // namespace userimage
