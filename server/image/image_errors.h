#ifndef SERVER_IMAGE_IMAGE_ERRORS_H_
#define SERVER_IMAGE_IMAGE_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace userimage {

// The errors of the image parsers, worded for the person who uploaded the
// image: what is wrong with it and what to do about it. All are
// INVALID_ARGUMENT. `format` is "JPEG", "PNG", "GIF" or "WebP"; `detail`
// says what exactly is wrong, e.g. "its IHDR chunk is 12 bytes long instead
// of 13". Pure functions; thread-safe.

// The file ends before its structure does: "the PNG is truncated: <detail>;
// upload the complete file".
absl::Status TruncatedImageError(absl::string_view format,
                                 absl::string_view detail);

// The structure is invalid: "the PNG is damaged: <detail>; re-save the image
// in an image editor and upload it again".
absl::Status DamagedImageError(absl::string_view format,
                               absl::string_view detail);

// Valid but a variant the service does not accept: "the PNG is not
// supported: <detail>; convert it to a standard JPEG, PNG, GIF or WebP
// image".
absl::Status UnsupportedImageError(absl::string_view format,
                                   absl::string_view detail);

}  // namespace userimage

#endif  // SERVER_IMAGE_IMAGE_ERRORS_H_
