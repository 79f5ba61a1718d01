#ifndef SERVER_IMAGE_IMAGE_INFO_H_
#define SERVER_IMAGE_IMAGE_INFO_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/image/image_type.h"

namespace userimage {

// What an image's container headers say about it.
struct ImageInfo {
  ImageType type = ImageType::kJpeg;
  // The size of the canvas a decoder allocates, in pixels. As the header
  // states it: zero is possible here (CheckDimensions refuses it). For a
  // GIF, the logical screen grown to hold every frame, as browsers do.
  uint32_t width = 0;
  uint32_t height = 0;
  // Frames: 1 for a still image; the number of images of a GIF, the
  // acTL frame count of an animated PNG, the ANMF chunks of an animated
  // WebP.
  uint32_t frame_count = 1;

  friend bool operator==(const ImageInfo& a, const ImageInfo& b) {
    return a.type == b.type && a.width == b.width && a.height == b.height &&
           a.frame_count == b.frame_count;
  }
  friend bool operator!=(const ImageInfo& a, const ImageInfo& b) {
    return !(a == b);
  }
};

// Reads the type, dimensions and frame count of a JPEG, PNG, GIF or WebP
// image from its container headers, without decoding any pixels:
//   JPEG  marker segments up to the first start-of-frame (SOFn) header;
//   PNG   signature, IHDR (checked field by field), and the chunks before
//         the first IDAT (for an APNG's acTL);
//   GIF   logical screen descriptor, then every block (sub-blocks skipped
//         by length) to count frames and find their extent;
//   WebP  RIFF header, then VP8 (lossy frame header), VP8L (lossless
//         header) or VP8X (extended: canvas, and each ANMF frame of an
//         animation, or the still image, checked against it).
// Cost is linear in the number of blocks read, never in pixels.
//
// Any other input, or a header that is truncated, inconsistent or invalid,
// yields INVALID_ARGUMENT with a message saying what is wrong with the
// image. Never reads outside `bytes`. Pure function; thread-safe.
absl::StatusOr<ImageInfo> InspectImage(absl::string_view bytes);

}  // namespace userimage

#endif  // SERVER_IMAGE_IMAGE_INFO_H_
