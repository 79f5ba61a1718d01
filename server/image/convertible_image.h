#ifndef SERVER_IMAGE_CONVERTIBLE_IMAGE_H_
#define SERVER_IMAGE_CONVERTIBLE_IMAGE_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/image/image_info.h"

namespace userimage {

// Formats Clerk does not take that the normalize workers convert.
enum class ConvertibleFormat { kHeif, kAvif, kTiff };

// Detects a HEIC/HEIF or AVIF (an ISO-BMFF "ftyp" box with a HEIF or AVIF
// brand) or a TIFF ("II*\0" or "MM\0*") from its first bytes, or nullopt.
// Never decodes. Pure function; thread-safe.
std::optional<ConvertibleFormat> SniffConvertibleFormat(
    absl::string_view bytes);

// Whether a declared content type names `format` (case-insensitive,
// parameters ignored): image/heic, image/heif, image/heic-sequence and
// image/heif-sequence; image/avif; image/tiff.
bool MimeTypeNames(ConvertibleFormat format, absl::string_view mime_type);

// "HEIF", "AVIF" or "TIFF".
absl::string_view FormatName(ConvertibleFormat format);

// The largest width and height a HEIF or AVIF declares, from the image
// spatial extent ("ispe") properties in meta/iprp/ipco, walked box by box
// without decoding anything: the canvas a decoder would allocate.
// INVALID_ARGUMENT naming the problem for a truncated or inconsistent box
// structure or one without any "ispe". `type` in the result is meaningless
// (JPEG). Never reads outside `bytes`. Pure function; thread-safe.
absl::StatusOr<ImageInfo> InspectHeifExtent(absl::string_view bytes);

// Whether a HEIF or AVIF carries a rotation ("irot") or mirroring ("imir")
// property, which decoders apply (and which then supersedes any EXIF
// orientation, as on an iPhone's photos). False for anything unreadable.
// Pure function; thread-safe.
bool HeifDeclaresTransform(absl::string_view bytes);

}  // namespace userimage

#endif  // SERVER_IMAGE_CONVERTIBLE_IMAGE_H_
