#include "server/image/convertible_image.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/image/byte_reader.h"
#include "server/image/image_errors.h"

namespace userimage {
namespace {

constexpr absl::string_view kHeifBrands[] = {"heic", "heix", "heim", "heis",
                                             "hevc", "hevx", "mif1", "msf1"};
constexpr absl::string_view kAvifBrands[] = {"avif", "avis"};
// Boxes nest at most this deep on the way to "ispe" (meta/iprp/ipco/ispe).
constexpr int kMaxDepth = 4;

template <size_t N>
bool OneOf(absl::string_view brand, const absl::string_view (&brands)[N]) {
  return std::find(std::begin(brands), std::end(brands), brand) !=
         std::end(brands);
}

struct Box {
  absl::string_view type;
  absl::string_view body;
};

// Reads the next box header and body; false at the end of `reader`.
absl::StatusOr<bool> NextBox(ByteReader& reader, Box* box) {
  if (reader.empty()) return false;
  uint32_t size32 = 0;
  absl::string_view type;
  if (!reader.ReadBigEndian32(&size32) || !reader.ReadBytes(4, &type)) {
    return TruncatedImageError("HEIF", "a box header is cut off");
  }
  uint64_t size = size32;
  uint64_t header = 8;
  if (size32 == 1) {
    uint32_t high = 0, low = 0;
    if (!reader.ReadBigEndian32(&high) || !reader.ReadBigEndian32(&low)) {
      return TruncatedImageError("HEIF", "a box's 64-bit size is cut off");
    }
    size = uint64_t{high} << 32 | low;
    header = 16;
  } else if (size32 == 0) {
    size = header + reader.remaining();
  }
  if (size < header) {
    return DamagedImageError("HEIF", "a box is smaller than its header");
  }
  if (size - header > reader.remaining()) {
    return TruncatedImageError("HEIF", "a box runs past the end of the file");
  }
  box->type = type;
  reader.ReadBytes(size - header, &box->body);
  return true;
}

// What Walk() collects.
struct HeifProperties {
  ImageInfo extent;
  bool has_extent = false;
  bool has_transform = false;  // An irot or imir property.
};

// Walks `data` (the children of a box), growing the extent by every ispe.
absl::Status Walk(absl::string_view data, int depth, HeifProperties* found) {
  ByteReader reader(data);
  Box box;
  for (;;) {
    absl::StatusOr<bool> next = NextBox(reader, &box);
    if (!next.ok()) return next.status();
    if (!*next) return absl::OkStatus();
    absl::string_view children = box.body;
    if (box.type == "meta") {
      // A full box: version and flags precede the children.
      if (children.size() < 4) {
        return TruncatedImageError("HEIF", "the meta box is cut off");
      }
      children.remove_prefix(4);
    } else if (box.type == "ispe") {
      ByteReader ispe(box.body);
      uint32_t version_flags = 0, width = 0, height = 0;
      if (!ispe.ReadBigEndian32(&version_flags) ||
          !ispe.ReadBigEndian32(&width) || !ispe.ReadBigEndian32(&height)) {
        return TruncatedImageError("HEIF", "an ispe property is cut off");
      }
      found->extent.width = std::max(found->extent.width, width);
      found->extent.height = std::max(found->extent.height, height);
      found->has_extent = true;
      continue;
    } else if (box.type == "irot" || box.type == "imir") {
      found->has_transform = true;
      continue;
    } else if (box.type != "iprp" && box.type != "ipco") {
      continue;
    }
    if (depth >= kMaxDepth) continue;
    if (absl::Status s = Walk(children, depth + 1, found); !s.ok()) {
      return s;
    }
  }
}

}  // namespace

std::optional<ConvertibleFormat> SniffConvertibleFormat(
    absl::string_view bytes) {
  if (absl::StartsWith(bytes, absl::string_view("II*\0", 4)) ||
      absl::StartsWith(bytes, absl::string_view("MM\0*", 4))) {
    return ConvertibleFormat::kTiff;
  }
  if (bytes.size() < 12 || bytes.substr(4, 4) != "ftyp") return std::nullopt;
  const absl::string_view major = bytes.substr(8, 4);
  if (OneOf(major, kAvifBrands)) return ConvertibleFormat::kAvif;
  if (!OneOf(major, kHeifBrands)) return std::nullopt;
  // A generic HEIF brand ("mif1") with AVIF among the compatible brands.
  uint32_t size = 0;
  ByteReader reader(bytes);
  reader.ReadBigEndian32(&size);
  const absl::string_view ftyp =
      bytes.substr(0, std::min<size_t>(size, bytes.size()));
  for (size_t at = 16; at + 4 <= ftyp.size(); at += 4) {
    if (OneOf(ftyp.substr(at, 4), kAvifBrands) && major == "mif1") {
      return ConvertibleFormat::kAvif;
    }
  }
  return ConvertibleFormat::kHeif;
}

bool MimeTypeNames(ConvertibleFormat format, absl::string_view mime_type) {
  const std::string type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
      std::vector<absl::string_view>(absl::StrSplit(mime_type, ';'))[0]));
  switch (format) {
    case ConvertibleFormat::kHeif:
      return type == "image/heic" || type == "image/heif" ||
             type == "image/heic-sequence" || type == "image/heif-sequence";
    case ConvertibleFormat::kAvif:
      return type == "image/avif";
    case ConvertibleFormat::kTiff:
      return type == "image/tiff";
  }
  return false;
}

absl::string_view FormatName(ConvertibleFormat format) {
  switch (format) {
    case ConvertibleFormat::kHeif:
      return "HEIF";
    case ConvertibleFormat::kAvif:
      return "AVIF";
    case ConvertibleFormat::kTiff:
      return "TIFF";
  }
  return "image";
}

absl::StatusOr<ImageInfo> InspectHeifExtent(absl::string_view bytes) {
  HeifProperties found;
  if (absl::Status s = Walk(bytes, 0, &found); !s.ok()) return s;
  if (!found.has_extent) {
    return DamagedImageError("HEIF",
                             "it declares no image size (no ispe property)");
  }
  return found.extent;
}

bool HeifDeclaresTransform(absl::string_view bytes) {
  HeifProperties found;
  return Walk(bytes, 0, &found).ok() && found.has_transform;
}

}  // namespace userimage
