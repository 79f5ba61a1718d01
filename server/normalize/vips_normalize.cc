#include "server/normalize/vips_normalize.h"

#include <vips/vips.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "server/image/convertible_image.h"
#include "server/image/exif_orientation.h"

namespace userimage {
namespace {

using clerk::userimage::internal::v1::NormalizedImage;
using clerk::userimage::internal::v1::NormalizeFailure;
using clerk::userimage::internal::v1::NormalizeRequest;
using clerk::userimage::internal::v1::NormalizeResponse;

// Larger than any side libvips accepts: "do not scale".
constexpr int kNoScale = VIPS_MAX_COORD;
// JPEG qualities tried in turn until the result fits.
constexpr int kJpegQualities[] = {85, 70, 55, 40};

// The loaders a profile image may arrive through, by the class name
// vips_foreign_find_load_buffer() reports (a prefix: each has a Buffer and
// a Source variant, and libvips 8.14 has two PNG loaders).
constexpr absl::string_view kAllowedLoaders[] = {
    "VipsForeignLoadJpeg", "VipsForeignLoadPng",   "VipsForeignLoadSpng",
    "VipsForeignLoadGif",  "VipsForeignLoadNsgif", "VipsForeignLoadWebp",
    "VipsForeignLoadHeif", "VipsForeignLoadTiff",
};

struct ImageUnref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using ImagePtr = std::unique_ptr<VipsImage, ImageUnref>;

NormalizeResponse Failure(NormalizeFailure::Kind kind, std::string message) {
  NormalizeResponse response;
  response.mutable_failure()->set_kind(kind);
  response.mutable_failure()->set_message(std::move(message));
  return response;
}

// libvips' error text, first line only, and its buffer cleared.
std::string TakeVipsError() {
  std::string text = vips_error_buffer();
  vips_error_clear();
  std::vector<absl::string_view> lines =
      absl::StrSplit(text, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "unknown error";
  return std::string(absl::StripAsciiWhitespace(lines.front()));
}

NormalizeResponse Undecodable() {
  return Failure(
      NormalizeFailure::KIND_UNDECODABLE,
      absl::StrCat("the image could not be decoded (", TakeVipsError(),
                   "); upload the complete, undamaged file"));
}

// The loader libvips would use, if it is one a profile image may use.
bool LoaderAllowed(absl::string_view bytes) {
  const char* loader =
      vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (loader == nullptr) return false;
  const absl::string_view name(loader);
  return std::any_of(std::begin(kAllowedLoaders), std::end(kAllowedLoaders),
                     [&](absl::string_view allowed) {
                       return absl::StartsWith(name, allowed);
                     });
}

bool IsHeif(const std::string& bytes) {
  const char* loader =
      vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  return loader != nullptr && absl::StartsWith(loader, "VipsForeignLoadHeif");
}

// The EXIF orientation a HEIF's pixels still need: libheif applies irot and
// imir, and libvips then reports orientation 1, so EXIF's is honoured only
// for a file without them (what exiftool and many converters write).
int HeifExifOrientation(const NormalizeRequest& request, VipsImage* header) {
  const void* exif = nullptr;
  size_t length = 0;
  if (HeifDeclaresTransform(request.image()) ||
      !vips_image_get_typeof(header, VIPS_META_EXIF_NAME) ||
      vips_image_get_blob(header, VIPS_META_EXIF_NAME, &exif, &length) != 0) {
    return 1;
  }
  absl::string_view data(static_cast<const char*>(exif), length);
  // libheif's EXIF item may start with the offset of the TIFF header.
  for (size_t at = 0; at + 4 <= std::min<size_t>(data.size(), 16); ++at) {
    const absl::string_view rest = data.substr(at);
    if (absl::StartsWith(rest, "II*") || absl::StartsWith(rest, "MM")) {
      return ReadExifOrientation(rest).value_or(1);
    }
  }
  return 1;
}

// Reads the header only (libvips decodes lazily) and checks the limits.
std::optional<NormalizeResponse> CheckHeader(const NormalizeRequest& request,
                                             int* pages, int* orientation) {
  const std::string& bytes = request.image();
  VipsImage* raw = vips_image_new_from_buffer(
      bytes.data(), bytes.size(), "", "access", VIPS_ACCESS_SEQUENTIAL,
      "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
  if (raw == nullptr) return Undecodable();
  ImagePtr header(raw);
  const uint64_t width = vips_image_get_width(raw);
  const uint64_t height = vips_image_get_page_height(raw);
  *pages = vips_image_get_n_pages(raw);
  *orientation = IsHeif(bytes) ? HeifExifOrientation(request, raw) : 1;
  if (width > request.max_image_side_px() ||
      height > request.max_image_side_px() ||
      width * height > request.max_image_pixels()) {
    return Failure(
        NormalizeFailure::KIND_DIMENSIONS,
        absl::StrFormat("the image is %d×%d pixels; the limits are %d pixels "
                        "a side and %d pixels in all: send a smaller image",
                        width, height, request.max_image_side_px(),
                        request.max_image_pixels()));
  }
  return std::nullopt;
}

int TargetSide(const NormalizeRequest& request) {
  return request.max_side_px() > 0 ? static_cast<int>(request.max_side_px())
                                   : kNoScale;
}

// Thumbnail() for a HEIF whose EXIF orientation must be applied: loaded
// whole (HEIF has no shrink-on-load anyway), told its orientation, then
// rotated and scaled like any other.
ImagePtr ThumbnailOriented(const NormalizeRequest& request, int orientation) {
  const std::string& bytes = request.image();
  VipsImage* loaded = vips_image_new_from_buffer(
      bytes.data(), bytes.size(), "", "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
  if (loaded == nullptr) return nullptr;
  ImagePtr in(loaded);
  VipsImage* copy = nullptr;
  if (vips_copy(in.get(), &copy, nullptr) != 0) return nullptr;
  ImagePtr oriented(copy);
  vips_image_set_int(copy, VIPS_META_ORIENTATION, orientation);
  const int side = TargetSide(request);
  VipsImage* out = nullptr;
  if (vips_thumbnail_image(copy, &out, side, "height", side, "size",
                           VIPS_SIZE_DOWN, "export_profile", "srgb",
                           nullptr) != 0) {
    return nullptr;
  }
  return ImagePtr(out);
}

// The upright, scaled, sRGB image, still undecoded (libvips is lazy).
ImagePtr Thumbnail(const NormalizeRequest& request, bool all_pages) {
  const int side = TargetSide(request);
  const std::string& bytes = request.image();
  VipsImage* out = nullptr;
  // thumbnail applies the orientation, shrinks on load where the format
  // can, then resizes with Lanczos 3; "size: down" never enlarges.
  if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &out,
                            side, "height", side, "size", VIPS_SIZE_DOWN,
                            "export_profile", "srgb", "fail_on",
                            VIPS_FAIL_ON_ERROR, "option_string",
                            all_pages ? "n=-1" : "", nullptr) != 0) {
    return nullptr;
  }
  return ImagePtr(out);
}

// Encodes `image` as `mime_type` with effort `attempt` (0: best quality;
// higher: smaller). Returns false when libvips fails or there is no
// smaller setting left to try.
bool Encode(VipsImage* image, absl::string_view mime_type, int attempt,
            std::string* out) {
  void* buffer = nullptr;
  size_t length = 0;
  int failed;
  if (mime_type == "image/jpeg") {
    if (attempt >= static_cast<int>(std::size(kJpegQualities))) return false;
    failed = vips_jpegsave_buffer(image, &buffer, &length, "Q",
                                  kJpegQualities[attempt], "strip", TRUE,
                                  "optimize_coding", TRUE, nullptr);
  } else if (mime_type == "image/png") {
    if (attempt > 1) return false;
    failed = vips_pngsave_buffer(image, &buffer, &length, "compression",
                                 attempt == 0 ? 6 : 9, "strip", TRUE, nullptr);
  } else if (mime_type == "image/webp") {
    if (attempt >= static_cast<int>(std::size(kJpegQualities))) return false;
    failed =
        vips_webpsave_buffer(image, &buffer, &length, "Q",
                             kJpegQualities[attempt], "strip", TRUE, nullptr);
  } else if (mime_type == "image/gif") {
    if (attempt > 0) return false;
    failed =
        vips_gifsave_buffer(image, &buffer, &length, "strip", TRUE, nullptr);
  } else {
    return false;
  }
  if (failed != 0) return false;
  out->assign(static_cast<const char*>(buffer), length);
  g_free(buffer);
  return true;
}

// Whether `image` has an alpha band that is not opaque everywhere (many
// writers add an opaque one). Materialises `*image` in memory first, so
// that the check and the encoding decode it once.
bool HasTransparency(ImagePtr* image) {
  if (!vips_image_hasalpha(image->get())) return false;
  VipsImage* memory = vips_image_copy_memory(image->get());
  if (memory == nullptr) return true;  // Encoding will report the error.
  image->reset(memory);
  VipsImage* alpha = nullptr;
  if (vips_extract_band(memory, &alpha, memory->Bands - 1, nullptr) != 0) {
    return true;
  }
  double lowest = 0;
  const int failed = vips_min(alpha, &lowest, nullptr);
  g_object_unref(alpha);
  const double opaque = memory->BandFmt == VIPS_FORMAT_USHORT       ? 65535
                        : vips_band_format_isfloat(memory->BandFmt) ? 1.0
                                                                    : 255;
  return failed != 0 || lowest < opaque;
}

}  // namespace

absl::Status StartVipsForWorker() {
  if (VIPS_INIT("normalize_worker") != 0) {
    return absl::InternalError(
        absl::StrCat("libvips did not start: ", TakeVipsError()));
  }
  vips_concurrency_set(1);
  vips_cache_set_max(0);
  // Loaders libvips itself marks as unsafe for untrusted input (and every
  // loader not in kAllowedLoaders is refused before libvips is called).
  vips_block_untrusted_set(TRUE);
  return absl::OkStatus();
}

NormalizeResponse NormalizeImage(const NormalizeRequest& request) {
  if (!LoaderAllowed(request.image())) {
    vips_error_clear();
    return Failure(NormalizeFailure::KIND_UNDECODABLE,
                   "the bytes are not a JPEG, PNG, GIF, WebP, HEIC/HEIF, "
                   "AVIF or TIFF image that can be decoded: send one of "
                   "those");
  }
  int pages = 1;
  int orientation = 1;
  if (auto refused = CheckHeader(request, &pages, &orientation)) {
    return *std::move(refused);
  }
  const std::string& keep = request.keep_mime_type();
  const bool animated =
      pages > 1 && (keep == "image/gif" || keep == "image/webp");
  ImagePtr image = orientation != 1 ? ThumbnailOriented(request, orientation)
                                    : Thumbnail(request, animated);
  if (image == nullptr) return Undecodable();
  const std::string mime_type =
      !keep.empty() ? keep
                    : (HasTransparency(&image) ? "image/png" : "image/jpeg");
  NormalizeResponse response;
  NormalizedImage* result = response.mutable_image();
  for (int attempt = 0;; ++attempt) {
    std::string encoded;
    if (!Encode(image.get(), mime_type, attempt, &encoded)) {
      if (attempt == 0) return Undecodable();
      vips_error_clear();
      return Failure(
          NormalizeFailure::KIND_TOO_LARGE,
          absl::StrFormat("the image is still %d bytes as %s at its smallest "
                          "setting, over Clerk's limit of %d bytes: send a "
                          "smaller image",
                          result->data().size(), mime_type,
                          request.max_output_bytes()));
    }
    result->set_data(std::move(encoded));
    if (result->data().size() <= request.max_output_bytes()) break;
  }
  result->set_mime_type(mime_type);
  result->set_width(vips_image_get_width(image.get()));
  result->set_height(vips_image_get_page_height(image.get()));
  return response;
}

}  // namespace userimage
