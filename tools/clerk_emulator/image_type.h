#ifndef TOOLS_CLERK_EMULATOR_IMAGE_TYPE_H_
#define TOOLS_CLERK_EMULATOR_IMAGE_TYPE_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace clerk::emulator {

// Returns the MIME type ("image/jpeg", "image/png", "image/gif" or
// "image/webp") of `bytes` judged by their leading magic bytes, or nullopt
// for anything else. Only the signature is checked, not the whole image.
std::optional<absl::string_view> DetectImageType(absl::string_view bytes);

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_IMAGE_TYPE_H_
