#include "server/image/dimension_limits.h"

#include "absl/strings/str_format.h"

namespace userimage {

absl::Status CheckDimensions(const ImageInfo& info,
                             const DimensionLimits& limits) {
  if (info.width == 0 || info.height == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the image header declares a size of %dx%d pixels; an image needs at "
        "least one pixel in each direction: the file is damaged, re-save it "
        "and upload it again",
        info.width, info.height));
  }
  if (info.frame_count == 0) {
    return absl::InvalidArgumentError(
        "the image contains no frames: the file is damaged, re-save it and "
        "upload it again");
  }
  if (info.width > limits.max_side || info.height > limits.max_side) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the image is %dx%d pixels; at most %d pixels per side are accepted: "
        "scale it down and upload it again",
        info.width, info.height, limits.max_side));
  }
  const uint64_t pixels = uint64_t{info.width} * info.height;
  if (pixels > limits.max_pixels) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the image is %dx%d pixels (%g megapixels); at most %g megapixels "
        "are accepted: scale it down and upload it again",
        info.width, info.height, pixels / 1e6, limits.max_pixels / 1e6));
  }
  if (info.frame_count > limits.max_frames) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the animation has %d frames; at most %d are accepted: shorten it or "
        "upload a still image",
        info.frame_count, limits.max_frames));
  }
  return absl::OkStatus();
}

}  // namespace userimage
