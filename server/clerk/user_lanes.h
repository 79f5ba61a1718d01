#ifndef SERVER_CLERK_USER_LANES_H_
#define SERVER_CLERK_USER_LANES_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace userimage {

// One line per user id, so that requests for one user reach Clerk one at a
// time, in the order they arrived, and a newer request replaces the older
// ones that have not been sent yet. A line holds at most two members: the
// active one (which may be waiting for the rate gate or a retry, or have a
// request in flight) and the newest one waiting behind it.
//
// - Enter() with an empty line makes the member active (OnTurn()).
// - Enter() behind an active member tells it OnSuperseded() (it ends at
//   once unless a request is in flight, which is awaited) and replaces the
//   member waiting, which is told OnSuperseded() too and never gets a turn.
// - Leave() by the active member gives the waiting one its turn.
//
// Thread-safe. The members' methods are called after the lock is released
// (on the thread of the Enter() or Leave() that caused them), never under
// it; a member must therefore tolerate OnSuperseded() before, during or
// after OnTurn(), and more than once.
class UserLanes {
 public:
  class Member {
   public:
    virtual ~Member() = default;
    // Its turn: it may go to Clerk now. Called once at most.
    virtual void OnTurn() = 0;
    // A newer request for the same user has arrived.
    virtual void OnSuperseded() = 0;
  };

  UserLanes() = default;
  UserLanes(const UserLanes&) = delete;
  UserLanes& operator=(const UserLanes&) = delete;

  void Enter(absl::string_view user_id, std::shared_ptr<Member> member);
  // `member` is finished (or gave up while waiting); a no-op for one no
  // longer in the line.
  void Leave(absl::string_view user_id, const Member* member);

  // Users with a line (for tests and metrics).
  size_t lines() const;

 private:
  struct Line {
    std::shared_ptr<Member> active;
    std::shared_ptr<Member> waiting;
  };

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Line> lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_CLERK_USER_LANES_H_
