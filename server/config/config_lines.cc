#include "server/config/config_lines.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace userimage {

std::vector<ConfigLine> ReadConfigLines(absl::string_view contents) {
  std::vector<ConfigLine> lines;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t end = line.find_first_of(" \t");
    lines.push_back(
        {number, std::string(line.substr(0, end)),
         end == absl::string_view::npos
             ? ""
             : std::string(absl::StripAsciiWhitespace(line.substr(end)))});
  }
  return lines;
}

absl::StatusOr<std::vector<ConfigLine>> ReadTwoFieldLines(
    absl::string_view contents, absl::string_view what,
    absl::string_view shape) {
  std::vector<ConfigLine> lines = ReadConfigLines(contents);
  for (const ConfigLine& line : lines) {
    if (line.value.empty() ||
        line.value.find_first_of(" \t") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " line ", line.number, ": expected ", shape,
                       ", two fields separated by spaces"));
    }
  }
  return lines;
}

}  // namespace userimage
