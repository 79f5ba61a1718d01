#ifndef SERVER_SERVICE_CALL_TRACE_H_
#define SERVER_SERVICE_CALL_TRACE_H_

#include "grpcpp/server_context.h"
#include "server/time/clock.h"
#include "server/trace/trace_context.h"

namespace userimage {

// The call's trace: the caller's `traceparent` and `tracestate` metadata
// (W3C Trace Context) continued with a span of this service's, or a new
// trace when there is no valid traceparent. Thread-safe if `random` is.
TraceContext CallTrace(const grpc::ServerContextBase& context,
                       RandomSource& random);

}  // namespace userimage

#endif  // SERVER_SERVICE_CALL_TRACE_H_
