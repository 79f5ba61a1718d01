#ifndef SERVER_IMAGE_IMAGE_TYPE_H_
#define SERVER_IMAGE_IMAGE_TYPE_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace userimage {

// The image formats Clerk accepts for profile images.
enum class ImageType { kJpeg, kPng, kGif, kWebp };

// Detects the image type from the leading bytes ("magic numbers") of
// `bytes`. Returns nullopt for anything that is not one of the four types.
// Reads at most the first 12 bytes; never decodes.
std::optional<ImageType> SniffImageType(absl::string_view bytes);

// "image/jpeg", "image/png", "image/gif" or "image/webp".
absl::string_view MimeType(ImageType type);

// ".jpg", ".png", ".gif" or ".webp".
absl::string_view FileExtension(ImageType type);

// The type named by a MIME type (case-insensitive, parameters such as
// "; charset" ignored; "image/jpg" is accepted as JPEG), or nullopt.
std::optional<ImageType> ImageTypeFromMimeType(absl::string_view mime_type);

}  // namespace userimage

#endif  // SERVER_IMAGE_IMAGE_TYPE_H_
