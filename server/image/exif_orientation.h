#ifndef SERVER_IMAGE_EXIF_ORIENTATION_H_
#define SERVER_IMAGE_EXIF_ORIENTATION_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace userimage {

// The "Exif\0\0" header that precedes the TIFF structure in a JPEG APP1
// segment (and, from some writers, in a WebP EXIF chunk).
inline constexpr absl::string_view kExifHeader{"Exif\0\0", 6};

// Reads the Orientation tag (0x0112) of the first image directory (IFD0)
// of EXIF data in TIFF form (starting with "II" or "MM"; a leading
// "Exif\0\0" is skipped). Returns 1–8, or nullopt when the data has no
// valid orientation. Every offset is bounds-checked; malformed data yields
// nullopt. Pure function; thread-safe.
//
// Browsers rotate and mirror JPEGs (and some other formats) by this tag, so
// metadata stripping keeps it: see OrientationOnlyExif.
std::optional<int> ReadExifOrientation(absl::string_view exif);

// Minimal EXIF data in TIFF form (big-endian, 26 bytes) whose only tag is
// Orientation = `orientation` (1–8). Pure function; thread-safe.
std::string OrientationOnlyExif(int orientation);

}  // namespace userimage

#endif  // SERVER_IMAGE_EXIF_ORIENTATION_H_
