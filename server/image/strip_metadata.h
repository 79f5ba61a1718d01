#ifndef SERVER_IMAGE_STRIP_METADATA_H_
#define SERVER_IMAGE_STRIP_METADATA_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// Removes metadata (camera details, GPS location, editing history, comments,
// embedded thumbnails) from a JPEG, PNG, GIF or WebP image by rewriting its
// container. Compressed pixel data is copied byte for byte, never decoded or
// re-encoded, so the image decodes to exactly the same pixels.
//
// Kept: everything a decoder needs to show the image as before, including
// colour profiles and the EXIF orientation. Dropped:
//   JPEG  APP1 (EXIF, XMP), APP3–APP13, APP15, COM, APP0 other than JFIF,
//         APP2 other than ICC_PROFILE (e.g. MPF), APP14 other than Adobe,
//         the JFIF thumbnail, and bytes after EOI. Kept: APP0 JFIF,
//         APP2 ICC_PROFILE, APP14 Adobe (it selects the colour transform),
//         all tables, frame and scan headers, and the compressed data.
//   PNG   every ancillary chunk except those that affect rendering (tRNS,
//         gAMA, cHRM, sRGB, iCCP, cICP, mDCv, cLLI, sBIT, bKGD, pHYs and
//         the APNG chunks acTL, fcTL, fdAT): so eXIf, tEXt, zTXt, iTXt,
//         tIME and private chunks go, as do bytes after IEND. Kept chunks
//         are copied with their CRCs unchanged.
//   WebP  in an extended (VP8X) file, EXIF, XMP and unknown chunks (their
//         VP8X flags cleared, the RIFF size fixed); ICCP, ANIM, ANMF, ALPH,
//         VP8 and VP8L are kept. A simple (VP8/VP8L) file keeps only its
//         image chunk. Bytes after the RIFF data go.
//   GIF   comment extensions and application extensions other than
//         NETSCAPE2.0/ANIMEXTS1.0 (looping) and ICCRGBG1 (colour profile),
//         such as XMP; bytes after the trailer.
// EXIF orientation: browsers rotate JPEGs by the EXIF Orientation tag, so
// when a JPEG APP1 or a WebP EXIF chunk has an orientation other than 1,
// it is replaced by a minimal EXIF block holding only that tag (see
// OrientationOnlyExif); the rest of the EXIF data (GPS position, camera,
// dates) goes. A PNG eXIf chunk is dropped whole.
//
// The result is never larger than the input, and stripping it again
// returns it unchanged. An image without metadata comes back byte for byte
// as it was. Input that InspectImage refuses, or whose structure is invalid
// after the headers it reads, yields INVALID_ARGUMENT with a message saying
// what is wrong with the image. Never reads outside `bytes`. Pure function;
// thread-safe.
absl::StatusOr<std::string> StripMetadata(absl::string_view bytes);

// The same, on `image` itself: true if something was stripped (`image` is
// then the stripped copy), false if there was nothing to strip, in which
// case `image` is left as it was and no copy is made (stripping walks the
// container and copies only when it drops or rewrites something). On an
// error `image` is unchanged.
absl::StatusOr<bool> StripMetadataFrom(std::string& image);

}  // namespace userimage

#endif  // SERVER_IMAGE_STRIP_METADATA_H_
