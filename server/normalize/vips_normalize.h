#ifndef SERVER_NORMALIZE_VIPS_NORMALIZE_H_
#define SERVER_NORMALIZE_VIPS_NORMALIZE_H_

#include "absl/status/status.h"
#include "clerk/userimage/internal/v1/normalize.pb.h"

namespace userimage {

// Starts libvips for a normalize worker: one worker thread, no operation
// cache, and every loader blocked except the ones a profile image may come
// in (JPEG, PNG, GIF, WebP, HEIF/AVIF, TIFF). libvips reads BMP only
// through ImageMagick, which it marks untrusted: BMP stays refused. Call
// once, before the sandbox is entered (libvips loads its modules from disk
// here). Not thread-safe.
absl::Status StartVipsForWorker();

// Decodes `request.image` with libvips and re-encodes it for Clerk:
// - the header is read first and an image over the request's side or pixel
//   limits is refused before any pixel is decoded;
// - the orientation is applied to the pixels (the result is upright): the
//   EXIF tag, or for a HEIF/AVIF its irot/imir transforms, or its EXIF tag
//   when it has neither;
// - a longer side over `max_side_px` (when set) is scaled down to exactly
//   that with libvips' Lanczos kernel, keeping the aspect ratio;
// - colours are converted to sRGB; no metadata is kept;
// - the result is `keep_mime_type` when set, else PNG when the image has
//   transparency (an alpha band not opaque everywhere) and JPEG otherwise; one
//   over `max_output_bytes` is re-encoded smaller (lower JPEG quality, higher
//   PNG compression) or refused.
// Never throws; every outcome is a NormalizeResponse (a failure says what
// is wrong, worded for the uploader). Runs in the worker process only:
// after StartVipsForWorker(), on one thread at a time.
clerk::userimage::internal::v1::NormalizeResponse NormalizeImage(
    const clerk::userimage::internal::v1::NormalizeRequest& request);

}  // namespace userimage

#endif  // SERVER_NORMALIZE_VIPS_NORMALIZE_H_
