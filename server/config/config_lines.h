#ifndef SERVER_CONFIG_CONFIG_LINES_H_
#define SERVER_CONFIG_CONFIG_LINES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// One line of a configuration file of "<key> <value>" lines (the tokens
// file, the allow-list, the response fields, the caller weights).
struct ConfigLine {
  int number = 0;     // 1-based, for messages
  std::string key;    // the first field
  std::string value;  // the rest of the line, trimmed ("" if none)
};

// The lines of `contents` that hold something: '#' starts a comment, and
// blank lines are skipped. Fields are separated by spaces or tabs.
std::vector<ConfigLine> ReadConfigLines(absl::string_view contents);

// The same, each with exactly two fields; else INVALID_ARGUMENT
// "<what> line N: expected <shape>, two fields separated by spaces".
absl::StatusOr<std::vector<ConfigLine>> ReadTwoFieldLines(
    absl::string_view contents, absl::string_view what,
    absl::string_view shape);

}  // namespace userimage

#endif  // SERVER_CONFIG_CONFIG_LINES_H_
