#ifndef SERVER_CLERK_SHARED_USER_ORDER_H_
#define SERVER_CLERK_SHARED_USER_ORDER_H_

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace userimage {

// The order of one user's uploads and deletes across every replica that
// shares the Clerk secret key, kept where they all reach (Redis):
//
// - Arrive() numbers a new request; a later arrival, on any replica, gets a
//   larger number (its fencing token).
// - Claim() asks, right before an attempt is sent, whether request `token`
//   may go now. Superseded: a later request for the user exists, so this
//   one must not be sent (at all, or again). Busy: an earlier request holds
//   the user's lease (its attempt is in flight), so wait. Granted: `token`
//   now holds the lease for `ttl` (a claim by the holder extends it).
// - Renew() extends the lease by `ttl` while an attempt is in flight; false
//   when `token` no longer holds it (it lapsed).
// - Release() lets the lease go after an attempt, if `token` holds it.
//
// A lease that is not renewed lapses, so a replica that dies holding one
// delays that user's next request by at most `ttl`.
//
// Implementations are thread-safe; callbacks run exactly once, on a thread
// of the implementation's choosing (possibly the caller's), and must not
// block. An error means the shared order cannot be consulted; the caller
// decides alone.
class SharedUserOrder {
 public:
  enum class Verdict { kGranted, kSuperseded, kBusy };
  struct ClaimResult {
    Verdict verdict = Verdict::kGranted;
    // kBusy: how long the holder's lease has left at most.
    absl::Duration holder_ttl;
  };
  using TokenCallback = absl::AnyInvocable<void(absl::StatusOr<uint64_t>) &&>;
  using ClaimCallback =
      absl::AnyInvocable<void(absl::StatusOr<ClaimResult>) &&>;
  using RenewCallback = absl::AnyInvocable<void(absl::StatusOr<bool>) &&>;

  virtual ~SharedUserOrder() = default;

  virtual void Arrive(absl::string_view user_id, TokenCallback done) = 0;
  virtual void Claim(absl::string_view user_id, uint64_t token,
                     absl::Duration ttl, ClaimCallback done) = 0;
  virtual void Renew(absl::string_view user_id, uint64_t token,
                     absl::Duration ttl, RenewCallback done) = 0;
  // Best effort: not confirmed.
  virtual void Release(absl::string_view user_id, uint64_t token) = 0;
};

}  // namespace userimage

#endif  // SERVER_CLERK_SHARED_USER_ORDER_H_
