#ifndef TOOLS_BENCH_JSON_OBJECT_H_
#define TOOLS_BENCH_JSON_OBJECT_H_

#include <optional>
#include <string>
#include <vector>

namespace clerk::userimage::bench {

// A minimal JSON writer for one object with keys in insertion order. Keys
// are written as given (fixed words and code names); string values are
// escaped. Not thread-safe.
class JsonObject {
 public:
  // Integers print without a fraction, others with 6 significant digits;
  // non-finite values print as null.
  JsonObject& Number(const std::string& key, double value);
  // Null when unset.
  JsonObject& Ratio(const std::string& key, std::optional<double> value);
  JsonObject& Bool(const std::string& key, bool value);
  JsonObject& String(const std::string& key, const std::string& value);
  JsonObject& Object(const std::string& key, const JsonObject& value);
  JsonObject& Null(const std::string& key);

  std::string ToString() const;

 private:
  JsonObject& Raw(const std::string& key, const std::string& value);

  std::vector<std::string> entries_;
};

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_JSON_OBJECT_H_
