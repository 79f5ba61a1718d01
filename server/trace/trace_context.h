#ifndef SERVER_TRACE_TRACE_CONTEXT_H_
#define SERVER_TRACE_TRACE_CONTEXT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "server/time/clock.h"

namespace userimage {

// One call's place in a W3C Trace Context trace
// (https://www.w3.org/TR/trace-context/): the trace it belongs to, this
// service's span in it, and the caller's span it continues. A plain value:
// thread-compatible.
struct TraceContext {
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string span_id;    // 16 lowercase hex digits: this service's span
  std::string parent_id;  // the caller's span; "" when the trace began here
  uint8_t flags = 0;      // trace-flags (bit 0: sampled)
  // The caller's tracestate, passed on unchanged; "" when it had none or
  // it was malformed.
  std::string tracestate;

  // The traceparent header of a request this span makes (version 00).
  std::string Traceparent() const;
};

// Continues the caller's trace: `traceparent` and `tracestate` are its
// metadata values ("" when absent; several tracestate values joined with
// ','). The result has the caller's trace id and flags, the caller's span
// as parent and a new span id of its own. Without a traceparent, or with
// one that is malformed (ignored, never an error), a new trace starts,
// sampled, with no parent and no tracestate. Ids come from `random`.
TraceContext ContinueTrace(absl::string_view traceparent,
                           absl::string_view tracestate, RandomSource& random);

}  // namespace userimage

#endif  // SERVER_TRACE_TRACE_CONTEXT_H_
