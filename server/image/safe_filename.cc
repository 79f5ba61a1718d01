#include "server/image/safe_filename.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace userimage {
namespace {

bool IsAllowed(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '-' || c == '_' || c == ' ';
}

bool IsSeparator(char c) { return c == '-' || c == '_' || c == ' '; }

// Extensions of the four image types and of the formats converted into
// them, without the dot.
bool IsImageExtension(absl::string_view extension) {
  static constexpr absl::string_view kExtensions[] = {
      "jpg", "jpeg", "jpe",  "jfif", "pjpeg", "pjp", "png", "apng",
      "gif", "webp", "heic", "heif", "avif",  "tif", "tiff"};
  const std::string lower = absl::AsciiStrToLower(extension);
  for (absl::string_view known : kExtensions) {
    if (lower == known) return true;
  }
  return false;
}

// Names Windows reserves for devices, whatever the extension.
bool IsWindowsDeviceName(absl::string_view stem) {
  const std::string upper = absl::AsciiStrToUpper(stem);
  if (upper == "CON" || upper == "PRN" || upper == "AUX" || upper == "NUL") {
    return true;
  }
  return upper.size() == 4 &&
         (absl::StartsWith(upper, "COM") || absl::StartsWith(upper, "LPT")) &&
         upper[3] >= '1' && upper[3] <= '9';
}

void TrimSeparators(std::string& stem) {
  size_t begin = 0;
  while (begin < stem.size() && IsSeparator(stem[begin])) ++begin;
  size_t end = stem.size();
  while (end > begin && IsSeparator(stem[end - 1])) --end;
  stem = stem.substr(begin, end - begin);
}

}  // namespace

std::string SafeFilename(absl::string_view name, ImageType type) {
  const size_t last_separator = name.find_last_of("/\\");
  if (last_separator != absl::string_view::npos) {
    name.remove_prefix(last_separator + 1);
  }
  std::string allowed;
  for (char c : name) {
    if (IsAllowed(c)) allowed.push_back(c);
  }
  absl::string_view stem_in = allowed;
  const size_t dot = stem_in.rfind('.');
  if (dot != absl::string_view::npos &&
      IsImageExtension(stem_in.substr(dot + 1))) {
    stem_in = stem_in.substr(0, dot);
  }
  std::string stem;
  for (char c : stem_in) {
    if (c == '.') c = '_';
    if (IsSeparator(c) && !stem.empty() && stem.back() == c) continue;
    stem.push_back(c);
  }
  TrimSeparators(stem);
  const absl::string_view extension = FileExtension(type);
  if (stem.size() > kMaxSafeFilenameLength - extension.size()) {
    stem.resize(kMaxSafeFilenameLength - extension.size());
    TrimSeparators(stem);
  }
  if (IsWindowsDeviceName(stem)) stem.insert(0, "_");
  if (stem.empty()) stem = "image";
  return absl::StrCat(stem, extension);
}

}  // namespace userimage
