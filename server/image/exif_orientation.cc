#include "server/image/exif_orientation.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "server/image/byte_reader.h"

namespace userimage {
namespace {

constexpr uint16_t kOrientationTag = 0x0112;
constexpr uint16_t kShortType = 3;

// Reads TIFF integers in the byte order the TIFF header names.
class TiffReader {
 public:
  TiffReader(absl::string_view tiff, bool big_endian)
      : tiff_(tiff), big_endian_(big_endian) {}

  // Positions a reader at `offset` from the start of the TIFF data.
  std::optional<ByteReader> At(uint32_t offset) const {
    if (offset > tiff_.size()) return std::nullopt;
    return ByteReader(tiff_.substr(offset));
  }
  bool Read16(ByteReader& in, uint16_t* value) const {
    return big_endian_ ? in.ReadBigEndian16(value)
                       : in.ReadLittleEndian16(value);
  }
  bool Read32(ByteReader& in, uint32_t* value) const {
    return big_endian_ ? in.ReadBigEndian32(value)
                       : in.ReadLittleEndian32(value);
  }

 private:
  absl::string_view tiff_;
  bool big_endian_;
};

}  // namespace

std::optional<int> ReadExifOrientation(absl::string_view exif) {
  absl::ConsumePrefix(&exif, kExifHeader);
  bool big_endian;
  if (absl::StartsWith(exif, "MM")) {
    big_endian = true;
  } else if (absl::StartsWith(exif, "II")) {
    big_endian = false;
  } else {
    return std::nullopt;
  }
  const TiffReader tiff(exif, big_endian);
  ByteReader header = *tiff.At(2);
  uint16_t magic;
  uint32_t ifd0_offset;
  if (!tiff.Read16(header, &magic) || magic != 42 ||
      !tiff.Read32(header, &ifd0_offset)) {
    return std::nullopt;
  }
  // IFD0 follows the 8-byte header, and is a count, 12-byte entries and
  // the offset of the next IFD: anything else is not EXIF.
  std::optional<ByteReader> ifd = tiff.At(ifd0_offset);
  uint16_t entries;
  if (ifd0_offset < 8 || !ifd || !tiff.Read16(*ifd, &entries) ||
      ifd->remaining() < size_t{entries} * 12 + 4) {
    return std::nullopt;
  }
  for (uint16_t i = 0; i < entries; ++i) {
    uint16_t tag, type;
    uint32_t count;
    absl::string_view value;
    if (!tiff.Read16(*ifd, &tag) || !tiff.Read16(*ifd, &type) ||
        !tiff.Read32(*ifd, &count) || !ifd->ReadBytes(4, &value)) {
      return std::nullopt;
    }
    if (tag != kOrientationTag) continue;
    ByteReader value_reader(value);
    uint16_t orientation;
    if (type != kShortType || count != 1 ||
        !tiff.Read16(value_reader, &orientation) || orientation < 1 ||
        orientation > 8) {
      return std::nullopt;
    }
    return orientation;
  }
  return std::nullopt;
}

std::string OrientationOnlyExif(int orientation) {
  std::string tiff(
      "MM\x00\x2A\x00\x00\x00\x08"  // Header; IFD0 at offset 8.
      "\x00\x01"                    // One entry:
      "\x01\x12\x00\x03"            // Orientation, SHORT,
      "\x00\x00\x00\x01"            // count 1,
      "\x00\x00\x00\x00"            // value (set below).
      "\x00\x00\x00\x00",           // No next IFD.
      26);
  tiff[19] = static_cast<char>(orientation);
  return tiff;
}

}  // namespace userimage
