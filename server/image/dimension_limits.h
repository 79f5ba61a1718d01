#ifndef SERVER_IMAGE_DIMENSION_LIMITS_H_
#define SERVER_IMAGE_DIMENSION_LIMITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "server/image/image_info.h"

namespace userimage {

// Bounds on what decoding an image may cost, whatever its size in bytes: a
// few kilobytes of compressed data can declare gigapixels (a
// "decompression bomb").
struct DimensionLimits {
  // Largest width and largest height, in pixels.
  uint32_t max_side = 12000;
  // Largest width × height (100 megapixels: a 400 MB RGBA canvas).
  uint64_t max_pixels = 100'000'000;
  // Most frames of an animation (each is decoded in turn).
  uint32_t max_frames = 1000;
};

// Refuses, with INVALID_ARGUMENT saying what to change, an image whose
// width or height is zero or whose size or frame count exceeds `limits`.
// `info` comes from InspectImage. Pure function; thread-safe.
absl::Status CheckDimensions(const ImageInfo& info,
                             const DimensionLimits& limits = {});

}  // namespace userimage

#endif  // SERVER_IMAGE_DIMENSION_LIMITS_H_
