#include "server/trace/trace_context.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace userimage {
namespace {

constexpr uint8_t kSampled = 0x01;

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
        (c < 'a' || c > 'f')) {
      return false;
    }
  }
  return true;
}

bool AllZero(absl::string_view s) {
  return s.find_first_not_of('0') == absl::string_view::npos;
}

// The fields of a valid traceparent, or false. Version 00 is exactly 55
// characters; a later version may append "-..." fields, which are ignored.
bool ParseTraceparent(absl::string_view header, TraceContext& trace) {
  header = absl::StripAsciiWhitespace(header);
  if (header.size() < 55 || (header.size() > 55 && header[55] != '-')) {
    return false;
  }
  const absl::string_view version = header.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff" ||
      (version == "00" && header.size() != 55)) {
    return false;
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return false;
  const absl::string_view trace_id = header.substr(3, 32);
  const absl::string_view parent_id = header.substr(36, 16);
  const absl::string_view flags = header.substr(53, 2);
  if (!IsLowerHex(trace_id) || AllZero(trace_id) || !IsLowerHex(parent_id) ||
      AllZero(parent_id) || !IsLowerHex(flags)) {
    return false;
  }
  uint32_t flag_bits = 0;
  if (!absl::SimpleHexAtoi(flags, &flag_bits)) return false;
  trace.trace_id = std::string(trace_id);
  trace.parent_id = std::string(parent_id);
  // Version 00 defines only the sampled bit; others are not passed on.
  trace.flags = static_cast<uint8_t>(flag_bits) & kSampled;
  return true;
}

// Whether `header` is a tracestate worth passing on: at most 512
// characters of printable ASCII, at most 32 list members, each empty or
// "key=value".
bool ValidTracestate(absl::string_view header) {
  if (header.size() > 512) return false;
  for (char c : header) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  int members = 0;
  for (absl::string_view member : absl::StrSplit(header, ',')) {
    member = absl::StripAsciiWhitespace(member);
    if (member.empty()) continue;
    const size_t eq = member.find('=');
    if (eq == 0 || eq == absl::string_view::npos || eq + 1 == member.size()) {
      return false;
    }
    if (++members > 32) return false;
  }
  return true;
}

// 16 hex digits, not all zero.
std::string NewId(RandomSource& random) {
  uint64_t bits = 0;
  while (bits == 0) bits = random.Bits64();
  return absl::StrFormat("%016x", bits);
}

}  // namespace

std::string TraceContext::Traceparent() const {
  return absl::StrFormat("00-%s-%s-%02x", trace_id, span_id, flags);
}

TraceContext ContinueTrace(absl::string_view traceparent,
                           absl::string_view tracestate, RandomSource& random) {
  TraceContext trace;
  if (ParseTraceparent(traceparent, trace)) {
    if (ValidTracestate(tracestate)) {
      trace.tracestate = std::string(absl::StripAsciiWhitespace(tracestate));
    }
  } else {
    trace = TraceContext();
    trace.trace_id = NewId(random) + NewId(random);
    trace.flags = kSampled;
  }
  trace.span_id = NewId(random);
  return trace;
}

}  // namespace userimage
