#include "tools/bench/json_object.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"

namespace clerk::userimage::bench {

google::protobuf::Value& JsonObject::Field(const std::string& key) {
  return (*fields_.mutable_fields())[key];
}

JsonObject& JsonObject::Number(const std::string& key, double value) {
  if (!std::isfinite(value)) return Null(key);
  Field(key).set_number_value(
      std::strtod(absl::StrFormat("%.6g", value).c_str(), nullptr));
  return *this;
}

JsonObject& JsonObject::Ratio(const std::string& key,
                              std::optional<double> value) {
  return value.has_value() ? Number(key, *value) : Null(key);
}

JsonObject& JsonObject::Bool(const std::string& key, bool value) {
  Field(key).set_bool_value(value);
  return *this;
}

JsonObject& JsonObject::String(const std::string& key,
                               const std::string& value) {
  Field(key).set_string_value(value);
  return *this;
}

JsonObject& JsonObject::Object(const std::string& key,
                               const JsonObject& value) {
  *Field(key).mutable_struct_value() = value.fields_;
  return *this;
}

JsonObject& JsonObject::Null(const std::string& key) {
  Field(key).set_null_value(google::protobuf::NULL_VALUE);
  return *this;
}

std::string JsonObject::ToString() const {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(fields_, &json);
  return json;
}

}  // namespace clerk::userimage::bench
