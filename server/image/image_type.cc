#include "server/image/image_type.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace userimage {

std::optional<ImageType> SniffImageType(absl::string_view bytes) {
  if (absl::StartsWith(bytes, "\xFF\xD8\xFF")) return ImageType::kJpeg;
  if (absl::StartsWith(bytes, "\x89PNG\r\n\x1A\n")) return ImageType::kPng;
  if (absl::StartsWith(bytes, "GIF87a") || absl::StartsWith(bytes, "GIF89a")) {
    return ImageType::kGif;
  }
  if (bytes.size() >= 12 && absl::StartsWith(bytes, "RIFF") &&
      bytes.substr(8, 4) == "WEBP") {
    return ImageType::kWebp;
  }
  return std::nullopt;
}

absl::string_view MimeType(ImageType type) {
  switch (type) {
    case ImageType::kJpeg:
      return "image/jpeg";
    case ImageType::kPng:
      return "image/png";
    case ImageType::kGif:
      return "image/gif";
    case ImageType::kWebp:
      return "image/webp";
  }
  return "application/octet-stream";
}

absl::string_view FileExtension(ImageType type) {
  switch (type) {
    case ImageType::kJpeg:
      return ".jpg";
    case ImageType::kPng:
      return ".png";
    case ImageType::kGif:
      return ".gif";
    case ImageType::kWebp:
      return ".webp";
  }
  return "";
}

std::optional<ImageType> ImageTypeFromMimeType(absl::string_view mime_type) {
  std::string essence = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
      std::vector<absl::string_view>(absl::StrSplit(mime_type, ';'))[0]));
  if (essence == "image/jpeg" || essence == "image/jpg")
    return ImageType::kJpeg;
  if (essence == "image/png") return ImageType::kPng;
  if (essence == "image/gif") return ImageType::kGif;
  if (essence == "image/webp") return ImageType::kWebp;
  return std::nullopt;
}

}  // namespace userimage
