#include "server/image/image_errors.h"

#include "absl/strings/str_cat.h"

namespace userimage {

absl::Status TruncatedImageError(absl::string_view format,
                                 absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat(
      "the ", format, " is truncated: ", detail, "; upload the complete file"));
}

absl::Status DamagedImageError(absl::string_view format,
                               absl::string_view detail) {
  return absl::InvalidArgumentError(
      absl::StrCat("the ", format, " is damaged: ", detail,
                   "; re-save the image in an image editor and upload it "
                   "again"));
}

absl::Status UnsupportedImageError(absl::string_view format,
                                   absl::string_view detail) {
  return absl::InvalidArgumentError(
      absl::StrCat("the ", format, " is not supported: ", detail,
                   "; convert it to a standard JPEG, PNG, GIF or WebP image"));
}

}  // namespace userimage
