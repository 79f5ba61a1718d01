#include "server/log/json_log.h"

#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "server/log/async_line_writer.h"

namespace userimage {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

// The asynchronous writer while one is started. Guarded by a mutex only for
// starting and stopping; LogEvent() takes it shared.
absl::Mutex writer_mu(absl::kConstInit);
AsyncLineWriter* writer ABSL_GUARDED_BY(writer_mu) = nullptr;
std::atomic<uint64_t> dropped_before{0};  // by writers already stopped

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetMinLogLevel(LogLevel level) { min_level = static_cast<int>(level); }

void StartAsyncLogging(size_t max_queued_lines) {
  auto started =
      std::make_unique<AsyncLineWriter>(STDERR_FILENO, max_queued_lines);
  std::unique_ptr<AsyncLineWriter> previous;
  {
    absl::WriterMutexLock lock(&writer_mu);
    previous.reset(writer);
    writer = started.release();
  }
  if (previous != nullptr) dropped_before += previous->dropped();
}

void StopAsyncLogging() {
  std::unique_ptr<AsyncLineWriter> stopped;
  {
    absl::WriterMutexLock lock(&writer_mu);
    stopped.reset(writer);
    writer = nullptr;
  }
  if (stopped == nullptr) return;
  stopped->Stop();
  dropped_before += stopped->dropped();
}

uint64_t DroppedLogLines() {
  absl::ReaderMutexLock lock(&writer_mu);
  return dropped_before.load() + (writer != nullptr ? writer->dropped() : 0);
}

bool ParseLogLevel(absl::string_view text, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning,
                     LogLevel::kError}) {
    if (text == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

google::protobuf::Value LogString(absl::string_view s) {
  google::protobuf::Value v;
  v.set_string_value(std::string(s));
  return v;
}

google::protobuf::Value LogNumber(double n) {
  google::protobuf::Value v;
  v.set_number_value(n);
  return v;
}

std::string FormatLogLine(LogLevel level, absl::string_view event,
                          std::initializer_list<LogField> fields) {
  google::protobuf::Struct line;
  auto& map = *line.mutable_fields();
  map["ts"] = LogString(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                         absl::UTCTimeZone()));
  map["level"] = LogString(LevelName(level));
  map["event"] = LogString(event);
  for (const auto& [key, value] : fields) map[std::string(key)] = value;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(line, &json);
  return json;
}

void LogEvent(LogLevel level, absl::string_view event,
              std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < min_level) return;
  std::string text = absl::StrCat(FormatLogLine(level, event, fields), "\n");
  {
    // AsyncLineWriter::Write() takes only its queue's lock, never logs and
    // never calls back: a leaf, safe to call under this shared lock.
    absl::ReaderMutexLock lock(&writer_mu);
    if (writer != nullptr) {
      writer->Write(std::move(text));
      return;
    }
  }
  (void)!write(STDERR_FILENO, text.data(), text.size());
}

}  // namespace userimage
