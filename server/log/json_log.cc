#include "server/log/json_log.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace userimage {
namespace {

std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};

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
  (void)!write(STDERR_FILENO, text.data(), text.size());
}

}  // namespace userimage
