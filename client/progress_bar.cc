#include "client/progress_bar.h"

#include <algorithm>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace clerk::userimage::client {
namespace {

struct Unit {
  const char* name;
  uint64_t bytes;
};

// The largest unit that `total` reaches, or bytes.
Unit UnitFor(uint64_t total) {
  static constexpr Unit kUnits[] = {
      {"GB", 1000 * 1000 * 1000}, {"MB", 1000 * 1000}, {"kB", 1000}};
  for (const Unit& unit : kUnits) {
    if (total >= unit.bytes) return unit;
  }
  return {"B", 1};
}

std::string FormatSize(uint64_t bytes, const Unit& unit) {
  if (unit.bytes == 1) return absl::StrCat(bytes, " B");
  return absl::StrFormat("%.1f %s", static_cast<double>(bytes) / unit.bytes,
                         unit.name);
}

// floor(part * scale / whole), without overflow; whole must not be 0.
int Scale(uint64_t part, uint64_t whole, int scale) {
  return static_cast<int>(absl::uint128(part) * scale / whole);
}

}  // namespace

std::string RenderProgressBar(uint64_t sent, uint64_t total, int width) {
  sent = std::min(sent, total);
  width = std::max(width, 0);
  int filled = total == 0 ? width : Scale(sent, total, width);
  int percent = total == 0 ? 100 : Scale(sent, total, 100);
  Unit unit = UnitFor(total);
  return absl::StrFormat("[%s%s] %3d%%  %s / %s", std::string(filled, '#'),
                         std::string(width - filled, '.'), percent,
                         FormatSize(sent, unit), FormatSize(total, unit));
}

}  // namespace clerk::userimage::client
