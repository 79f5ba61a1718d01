#ifndef SERVER_SERVICE_UPLOAD_REACTOR_H_
#define SERVER_SERVICE_UPLOAD_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/auth/caller_authorizer.h"
#include "server/clerk/retrying_clerk_client.h"
#include "server/metrics/metrics.h"
#include "server/normalize/normalizer_pool.h"
#include "server/ratelimit/fair_queue.h"
#include "server/service/response_fields.h"
#include "server/time/clock.h"
#include "server/trace/trace_context.h"
#include "server/upload/memory_budget.h"
#include "server/upload/upload_assembler.h"

namespace userimage {

// Where a test may act in an upload's life (UploadEnvironment::test_hook).
enum class UploadHookPoint {
  // The Clerk operation was started, and is not yet recorded for OnCancel().
  kOperationStarted,
  // OnCancel() recorded the cancel and passed it to what it knew of (the
  // conversion, the Clerk operation): a path that reads the record after
  // this sees it. It may come after kNormalized or kClerkAnswered when the
  // cancel finished the call inline.
  kCancelled,
  // Clerk's outcome arrived, and the call is not yet finished with it.
  kClerkAnswered,
  // A read completed after the idle timer had fired: it is dropped.
  kReadLostToIdleTimer,
  // The normalize pool answered (before the outcome is acted on).
  kNormalized,
};

// What every upload shares: limits and the objects it borrows.
struct UploadEnvironment {
  uint64_t max_image_bytes = 10'000'000;
  ImagePolicy image_policy;
  // A stream that brings no image bytes (nor its metadata) for this long is
  // failed; empty chunks do not count. Zero: no limit.
  absl::Duration idle_timeout = absl::Seconds(30);
  // A stream still sending this long after its metadata arrived is failed.
  // Zero: no limit.
  absl::Duration max_upload_duration = absl::Minutes(2);
  RetryingClerkClient* clerk = nullptr;
  // Converts and scales images the assembler hands over with
  // needs_normalization; required when image_policy.convert is set.
  NormalizerPool* normalizer = nullptr;
  MemoryBudget* memory = nullptr;
  Clock* clock = nullptr;
  Timers* timers = nullptr;
  RandomSource* random = nullptr;  // trace and span ids
  Metrics* metrics = nullptr;
  const CallerAuthorizer* authorizer = nullptr;
  // Which fields of the User the caller receives. Required.
  const ResponseFields* response_fields = nullptr;
  // Uploads in progress, i.e. not yet answered (maintained by the
  // reactors), and the most allowed: a call beyond it is refused with
  // RESOURCE_EXHAUSTED.
  std::atomic<int>* in_flight = nullptr;
  int max_in_flight = 1000;
  // Tests only: runs at each UploadHookPoint, outside the reactor's lock.
  std::function<void(UploadHookPoint)> test_hook;
};

// Serves one UploadProfileImage call with gRPC's callback API: first
// authorizes the caller (an unauthenticated or unauthorised call is refused
// before anything is read), then works on the raw
// message bytes: keeps one read in flight, hands each serialized message to
// an UploadAssembler (which copies chunk bytes straight into the image
// buffer), and once the caller half-closes hands the image to the
// RetryingClerkClient; its outcome finishes the call.
// - Any invalid message finishes the call at once (the rest of the stream
//   is not read).
// - A stream that brings nothing for `idle_timeout` (empty chunks bring
//   nothing), or is still sending `max_upload_duration` after its metadata,
//   fails with DEADLINE_EXCEEDED and gives its memory reservation back.
// - A call cancelled before the stream is complete never reaches Clerk; one
//   cancelled (or past its deadline) while waiting for the rate gate or a
//   retry stops waiting at once.
//
// Reactions never block: they only parse, copy and start asynchronous
// work. Finish() is called exactly once; after it only the reaction in
// progress may still touch the reactor (gRPC runs OnDone() after it
// returns), and the pool, the timers and the HTTP threads touch nothing. The
// finishers never race unrefereed:
// - while a read is outstanding, only OnReadDone() and the idle timer can
//   finish; OnReadDone() first cancels the timer, and if Timers::Cancel()
//   says it already fired, the timer's path owns the finish and
//   OnReadDone() does nothing more;
// - once the image is complete, only the normalize pool's `done` (when
//   the image is converted or scaled) and then the Clerk operation's `done`
//   finish (OnCancel() cancels the pool's ticket or the operation, which
//   then reports); an outcome that arrives before SendToClerk() has
//   recorded its operation is parked and finished by SendToClerk(), the
//   one claim that keeps a pool thread from touching a deleted reactor;
// - no lock is held while calling the operation, the timers or Finish().
// Threads: reactions on gRPC's callback threads; the idle timer and Clerk's
// answer on the HTTP client's callback thread (or the shared quota's, or
// the one that cancelled); the normalize pool's answer, and so the start of
// the Clerk operation for a converted image, on a pool thread. Owns itself:
// created by the service, deleted in OnDone(). Borrows what `env` points to,
// which outlives the server.
class UploadReactor : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  UploadReactor(grpc::CallbackServerContext* context,
                grpc::ByteBuffer* response, const UploadEnvironment& env);

  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void Read();
  // The stream timer fired: the idle limit, or the whole-upload one.
  void OnStreamTimer(bool whole_upload);
  // Notes what the last message brought, for the stream timer.
  void NoteProgress(bool had_metadata, uint64_t had_bytes);
  void Hook(UploadHookPoint point);
  void StartUpload();
  // The normalize pool's answer for an image it converted or scaled.
  void OnNormalized(absl::StatusOr<NormalizedBytes> result);
  // The Clerk operation's `done`: finishes the call, or parks the outcome
  // for SendToClerk() if that has not recorded the operation yet.
  void OnClerkOutcome(ClerkOutcome outcome);
  // Hands the image to the RetryingClerkClient; its outcome finishes the
  // call.
  void SendToClerk(AssembledImage image);
  // Once the metadata is in: the fields this call returns, from the
  // caller's policy and read_mask, and its priority at the rate gate. False
  // (the call failed) for a bad mask or an unknown priority.
  bool AcceptMetadata();
  // TryClaimFinish(), then, if this caller won, AnswerAndRecord().
  void FinishOnce(ClerkOutcome outcome);
  // The single claim: marks the call finished; true for the one caller
  // that may then answer it (until then gRPC cannot run OnDone()).
  bool TryClaimFinish();
  // After a won claim: answers the caller (Finish()), logs the upload and
  // records its metrics.
  void AnswerAndRecord(ClerkOutcome outcome);

  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  const UploadEnvironment env_;
  const absl::Time started_;
  // The caller's x-request-id if sane, else a new random id; echoed back.
  const std::string request_id_;
  // The caller's trace continued, or a new one.
  const TraceContext trace_;
  std::string caller_;  // Authorized identity; "" for an anonymous caller.
  grpc::ByteBuffer request_;
  UploadAssembler assembler_;
  std::string content_type_;
  // Set by a reaction before the Clerk operation starts; read when it ends.
  ResponseFields::Mask response_mask_;
  Priority priority_ = Priority::kInteractive;  // Set with response_mask_.
  // Touched by reactions only (one at a time): when the stream last brought
  // something, and when it must be complete.
  absl::Time last_progress_;
  absl::Time upload_deadline_ = absl::InfiniteFuture();
  absl::Mutex mu_;  // Timer and OnCancel() run concurrently with reactions.
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  Timers::Id idle_timer_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<RetryingClerkClient::Operation> operation_
      ABSL_GUARDED_BY(mu_);
  // Set by SendToClerk() once it has recorded operation_; until then an
  // outcome is parked, so that the call cannot finish (and the reactor be
  // deleted) while SendToClerk() still runs, which on a normalize pool
  // thread nothing in gRPC waits for.
  bool operation_recorded_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<ClerkOutcome> parked_outcome_ ABSL_GUARDED_BY(mu_);
  // The image in the normalize pool, for OnCancel().
  std::shared_ptr<NormalizerPool::Ticket> normalize_ticket_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_SERVICE_UPLOAD_REACTOR_H_
