#include "tools/clerk_emulator/image_type.h"

#include "absl/strings/match.h"

namespace clerk::emulator {

std::optional<absl::string_view> DetectImageType(absl::string_view bytes) {
  if (absl::StartsWith(bytes, "\xFF\xD8\xFF")) return "image/jpeg";
  if (absl::StartsWith(bytes, "\x89PNG\r\n\x1A\n")) return "image/png";
  if (absl::StartsWith(bytes, "GIF87a") || absl::StartsWith(bytes, "GIF89a")) {
    return "image/gif";
  }
  if (bytes.size() >= 12 && absl::StartsWith(bytes, "RIFF") &&
      bytes.substr(8, 4) == "WEBP") {
    return "image/webp";
  }
  return std::nullopt;
}

}  // namespace clerk::emulator
