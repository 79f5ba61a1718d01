#ifndef SERVER_IMAGE_SAFE_FILENAME_H_
#define SERVER_IMAGE_SAFE_FILENAME_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "server/image/image_type.h"

namespace userimage {

// Longest name SafeFilename returns, in bytes, extension included.
inline constexpr size_t kMaxSafeFilenameLength = 100;

// Turns a filename supplied by a caller into one that is safe to pass on
// (in a multipart Content-Disposition header, in logs, on any file
// system) and that names an image of `type`:
//   - only the base name is kept: everything up to the last '/' or '\' goes;
//   - only ASCII letters, digits, '-', '_' and space are kept; everything
//     else (control characters, quotes, ':', '%', non-ASCII bytes...) is
//     dropped;
//   - the extension becomes FileExtension(type): an image extension the
//     name already has (.jpg, .jpeg, .png, .gif, .webp, .heic, .avif,
//     .tiff...) is replaced,
//     any other is kept as part of the name with its dot turned into '_'
//     ("report.pdf" → "report_pdf.png"), so that the only dot in the
//     result is the one before the image extension (no hidden files, no
//     "x.php.jpg" double extensions);
//   - runs of the same separator ('-', '_', space) collapse to one, and
//     separators are trimmed from both ends of the stem;
//   - Windows device names (CON, NUL, COM1...) get a '_' prefix;
//   - the result is at most kMaxSafeFilenameLength bytes, the stem
//     shortened to make room for the extension;
//   - if nothing of the stem is left, the result is "image" plus the
//     extension.
// Applying it to its own result returns that result. Pure function;
// thread-safe.
std::string SafeFilename(absl::string_view name, ImageType type);

}  // namespace userimage

#endif  // SERVER_IMAGE_SAFE_FILENAME_H_
