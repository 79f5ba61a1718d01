#ifndef SERVER_LOG_JSON_LOG_H_
#define SERVER_LOG_JSON_LOG_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace userimage {

// Structured logging: each call writes one JSON object on one line to
// stderr, e.g. {"ts":"2026-...Z","level":"info","event":"upload_finished",
// "user_id":"user_..."}. Values are strings or numbers; the encoding (and
// escaping) is protobuf's JSON printer. Callers must never pass secrets or
// image bytes. Thread-safe: one write(2) per line.
//
// Until StartAsyncLogging() each call writes its line itself; after it,
// lines go through a bounded queue to a writer thread (AsyncLineWriter), so
// logging never blocks on stderr: a line that finds the queue full is
// dropped and counted (DroppedLogLines()).
enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Lines below this level are dropped. Set once in main(); default kInfo.
void SetMinLogLevel(LogLevel level);

// Parses "debug", "info", "warning" or "error".
bool ParseLogLevel(absl::string_view text, LogLevel* level);

// Sends every later line through a queue of at most `max_queued_lines` to
// a thread that writes them to stderr. Call once, from main().
void StartAsyncLogging(size_t max_queued_lines);
// Writes what is queued, stops the writer thread; later lines are written
// directly again.
void StopAsyncLogging();
// Lines dropped since StartAsyncLogging() because the queue was full.
uint64_t DroppedLogLines();

using LogField = std::pair<absl::string_view, google::protobuf::Value>;

// Helpers to build field values.
google::protobuf::Value LogString(absl::string_view s);
google::protobuf::Value LogNumber(double n);

void LogEvent(LogLevel level, absl::string_view event,
              std::initializer_list<LogField> fields = {});

// The JSON line LogEvent writes, without the trailing newline. Exposed for
// tests.
std::string FormatLogLine(LogLevel level, absl::string_view event,
                          std::initializer_list<LogField> fields);

}  // namespace userimage

#endif  // SERVER_LOG_JSON_LOG_H_
