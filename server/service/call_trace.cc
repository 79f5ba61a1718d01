#include "server/service/call_trace.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace userimage {

TraceContext CallTrace(const grpc::ServerContextBase& context,
                       RandomSource& random) {
  const auto& metadata = context.client_metadata();
  absl::string_view traceparent;
  if (metadata.count("traceparent") == 1) {  // Several: malformed.
    const grpc::string_ref value = metadata.find("traceparent")->second;
    traceparent = absl::string_view(value.data(), value.size());
  }
  // Several tracestate entries are one list (W3C Trace Context, 3.3.1).
  std::string tracestate;
  auto [begin, end] = metadata.equal_range("tracestate");
  for (auto it = begin; it != end; ++it) {
    absl::StrAppend(&tracestate, tracestate.empty() ? "" : ",",
                    absl::string_view(it->second.data(), it->second.size()));
  }
  return ContinueTrace(traceparent, tracestate, random);
}

}  // namespace userimage
