#ifndef TOOLS_BENCH_JSON_OBJECT_H_
#define TOOLS_BENCH_JSON_OBJECT_H_

#include <optional>
#include <string>

#include "google/protobuf/struct.pb.h"

namespace clerk::userimage::bench {

// One JSON object of a benchmark report, built with typed setters on a
// google::protobuf::Struct and printed by protobuf's JSON printer (keys in
// its order, strings escaped by it). Not thread-safe.
class JsonObject {
 public:
  // Rounded to 6 significant digits (integers print without a fraction);
  // non-finite values are null.
  JsonObject& Number(const std::string& key, double value);
  // Null when unset.
  JsonObject& Ratio(const std::string& key, std::optional<double> value);
  JsonObject& Bool(const std::string& key, bool value);
  JsonObject& String(const std::string& key, const std::string& value);
  JsonObject& Object(const std::string& key, const JsonObject& value);
  JsonObject& Null(const std::string& key);

  std::string ToString() const;

 private:
  google::protobuf::Value& Field(const std::string& key);

  google::protobuf::Struct fields_;
};

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_JSON_OBJECT_H_
