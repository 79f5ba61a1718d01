#include "tools/bench/json_object.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace clerk::userimage::bench {

JsonObject& JsonObject::Number(const std::string& key, double value) {
  if (!std::isfinite(value)) return Null(key);
  // Integers print without a fraction; others with enough digits.
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return Raw(key, absl::StrCat(static_cast<int64_t>(value)));
  }
  return Raw(key, absl::StrFormat("%.6g", value));
}

JsonObject& JsonObject::Ratio(const std::string& key,
                              std::optional<double> value) {
  return value.has_value() ? Number(key, *value) : Null(key);
}

JsonObject& JsonObject::Bool(const std::string& key, bool value) {
  return Raw(key, value ? "true" : "false");
}

JsonObject& JsonObject::String(const std::string& key,
                               const std::string& value) {
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&quoted, "\\u%04x", static_cast<unsigned char>(c));
    } else {
      quoted.push_back(c);
    }
  }
  return Raw(key, quoted + "\"");
}

JsonObject& JsonObject::Object(const std::string& key,
                               const JsonObject& value) {
  return Raw(key, value.ToString());
}

JsonObject& JsonObject::Null(const std::string& key) {
  return Raw(key, "null");
}

std::string JsonObject::ToString() const {
  return absl::StrCat("{", absl::StrJoin(entries_, ","), "}");
}

JsonObject& JsonObject::Raw(const std::string& key, const std::string& value) {
  entries_.push_back(absl::StrCat("\"", key, "\":", value));
  return *this;
}

}  // namespace clerk::userimage::bench
