#include "server/image/strip_metadata.h"

#include <cstdint>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/image/exif_orientation.h"
#include "server/image/gif_blocks.h"
#include "server/image/image_errors.h"
#include "server/image/image_info.h"
#include "server/image/jpeg_segments.h"
#include "server/image/png_chunks.h"
#include "server/image/riff_chunks.h"

namespace userimage {
namespace {

void AppendBigEndian16(uint16_t value, std::string& out) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xFF));
}

void AppendLittleEndian32(uint32_t value, std::string& out) {
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

// The orientation to keep from EXIF data: set and other than the default.
std::optional<int> OrientationToKeep(absl::string_view exif) {
  std::optional<int> orientation = ReadExifOrientation(exif);
  if (orientation == 1) return std::nullopt;
  return orientation;
}

// ---------------------------------------------------------------- JPEG

// The JFIF APP0 payload up to the thumbnail size fields: identifier (5),
// version (2), density units (1), densities (2 + 2).
constexpr size_t kJfifFieldsSize = 12;

void AppendJpegSegment(uint8_t marker, absl::string_view payload,
                       std::string& out) {
  out.push_back('\xFF');
  out.push_back(static_cast<char>(marker));
  AppendBigEndian16(static_cast<uint16_t>(payload.size() + 2), out);
  out.append(payload.data(), payload.size());
}

// Appends what to keep of an APPn or COM segment.
void AppendJpegMetadataSegment(const JpegSegment& segment,
                               bool& wrote_orientation, std::string& out) {
  const absl::string_view payload = segment.payload;
  switch (segment.marker) {
    case jpeg_marker::kApp0:
      if (!absl::StartsWith(payload, absl::string_view("JFIF\0", 5))) return;
      // Without a thumbnail (too short for one, or one of 0x0 pixels), the
      // segment is kept as it is.
      if (payload.size() < kJfifFieldsSize + 2 ||
          (payload.size() == kJfifFieldsSize + 2 &&
           payload[kJfifFieldsSize] == 0 &&
           payload[kJfifFieldsSize + 1] == 0)) {
        out.append(segment.bytes.data(), segment.bytes.size());
        return;
      }
      // JFIF without its thumbnail (a thumbnail of 0x0 pixels).
      AppendJpegSegment(segment.marker,
                        absl::StrCat(payload.substr(0, kJfifFieldsSize),
                                     absl::string_view("\0\0", 2)),
                        out);
      return;
    case jpeg_marker::kApp1:
      if (!wrote_orientation && absl::StartsWith(payload, kExifHeader)) {
        if (std::optional<int> orientation = OrientationToKeep(payload)) {
          AppendJpegSegment(
              segment.marker,
              absl::StrCat(kExifHeader, OrientationOnlyExif(*orientation)),
              out);
          wrote_orientation = true;
        }
      }
      return;
    case jpeg_marker::kApp2:
      if (absl::StartsWith(payload, absl::string_view("ICC_PROFILE\0", 12))) {
        out.append(segment.bytes.data(), segment.bytes.size());
      }
      return;
    case jpeg_marker::kApp14:
      if (absl::StartsWith(payload, "Adobe")) {
        out.append(segment.bytes.data(), segment.bytes.size());
      }
      return;
  }
}

absl::StatusOr<std::string> StripJpeg(absl::string_view jpeg) {
  std::string out;
  out.reserve(jpeg.size());
  JpegSegmentReader reader(jpeg);
  bool wrote_orientation = false;
  while (true) {
    absl::StatusOr<std::optional<JpegSegment>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const JpegSegment& segment = **next;
    if ((segment.marker >= jpeg_marker::kApp0 &&
         segment.marker <= jpeg_marker::kApp15) ||
        segment.marker == jpeg_marker::kCom) {
      AppendJpegMetadataSegment(segment, wrote_orientation, out);
    } else {
      out.append(segment.bytes.data(), segment.bytes.size());
    }
  }
  return out;
}

// ----------------------------------------------------------------- PNG

bool KeepPngChunk(absl::string_view type) {
  static constexpr absl::string_view kKept[] = {
      // Critical.
      "IHDR", "PLTE", "IDAT", "IEND",
      // Transparency, colour space and rendering.
      "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "cICP", "mDCv", "cLLI", "sBIT",
      "bKGD", "pHYs",
      // Animation (APNG).
      "acTL", "fcTL", "fdAT"};
  for (absl::string_view kept : kKept) {
    if (type == kept) return true;
  }
  return false;
}

absl::StatusOr<std::string> StripPng(absl::string_view png) {
  std::string out(kPngSignature);
  out.reserve(png.size());
  PngChunkReader reader(png);
  while (true) {
    absl::StatusOr<std::optional<PngChunk>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const PngChunk& chunk = **next;
    if (KeepPngChunk(chunk.type)) {
      out.append(chunk.bytes.data(), chunk.bytes.size());
    } else if (IsPngCriticalChunk(chunk.type)) {
      return UnsupportedImageError(
          "PNG", absl::StrFormat("it has a critical chunk of unknown type %s "
                                 "that decoders cannot show",
                                 chunk.type));
    }
  }
  return out;
}

// ----------------------------------------------------------------- GIF

bool KeepGifExtension(const GifBlock& block) {
  switch (block.label) {
    case gif_label::kGraphicControl:
    case gif_label::kPlainText:
      return true;
    case gif_label::kApplication:
      // Identifier (8 bytes) and authentication code (3 bytes).
      return block.first_sub_block == "NETSCAPE2.0" ||
             block.first_sub_block == "ANIMEXTS1.0" ||
             block.first_sub_block == "ICCRGBG1012";
  }
  return false;  // Comments and unknown extensions.
}

absl::StatusOr<std::string> StripGif(absl::string_view gif) {
  std::string out;
  out.reserve(gif.size());
  GifBlockReader reader(gif);
  while (true) {
    absl::StatusOr<std::optional<GifBlock>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const GifBlock& block = **next;
    if (block.kind != GifBlock::Kind::kExtension || KeepGifExtension(block)) {
      out.append(block.bytes.data(), block.bytes.size());
    }
  }
  return out;
}

// ---------------------------------------------------------------- WebP

constexpr uint8_t kWebpExifFlag = 0x08;
constexpr uint8_t kWebpXmpFlag = 0x04;

bool KeepWebpChunk(absl::string_view fourcc) {
  return fourcc == "ICCP" || fourcc == "ANIM" || fourcc == "ANMF" ||
         fourcc == "ALPH" || fourcc == "VP8 " || fourcc == "VP8L";
}

absl::StatusOr<std::string> StripWebp(absl::string_view webp) {
  absl::StatusOr<WebpContainer> container = ReadWebpContainer(webp);
  if (!container.ok()) return container.status();
  RiffChunkReader reader(container->chunks, "WebP");
  // InspectImage has checked that there is a first chunk, and that it is
  // VP8, VP8L or a 10-byte VP8X.
  absl::StatusOr<std::optional<RiffChunk>> next = reader.Next();
  if (!next.ok()) return next.status();
  const RiffChunk first = **next;
  std::string chunks;
  chunks.reserve(container->chunks.size());
  if (first.fourcc != "VP8X") {
    // A simple file: its image chunk is all a decoder reads.
    chunks.append(first.bytes.data(), first.bytes.size());
  } else {
    uint8_t flags = static_cast<uint8_t>(first.payload[0]);
    flags &= ~(kWebpExifFlag | kWebpXmpFlag);
    std::string kept;
    kept.reserve(container->chunks.size());
    while (true) {
      next = reader.Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) break;
      const RiffChunk& chunk = **next;
      if (KeepWebpChunk(chunk.fourcc)) {
        kept.append(chunk.bytes.data(), chunk.bytes.size());
      } else if (chunk.fourcc == "EXIF" && !(flags & kWebpExifFlag)) {
        if (std::optional<int> orientation = OrientationToKeep(chunk.payload)) {
          const std::string exif = OrientationOnlyExif(*orientation);
          kept.append("EXIF");
          AppendLittleEndian32(exif.size(), kept);
          kept.append(exif);  // Even size: no padding.
          flags |= kWebpExifFlag;
        }
      }
    }
    chunks.append(first.bytes.data(), 8);  // "VP8X" and its size.
    chunks.push_back(static_cast<char>(flags));
    chunks.append(first.payload.data() + 1, first.payload.size() - 1);
    chunks.append(kept);
  }
  std::string out("RIFF");
  out.reserve(8 + 4 + chunks.size());
  AppendLittleEndian32(4 + chunks.size(), out);
  out.append("WEBP");
  out.append(chunks);
  return out;
}

}  // namespace

absl::StatusOr<std::string> StripMetadata(absl::string_view bytes) {
  absl::StatusOr<ImageInfo> info = InspectImage(bytes);
  if (!info.ok()) return info.status();
  switch (info->type) {
    case ImageType::kJpeg:
      return StripJpeg(bytes);
    case ImageType::kPng:
      return StripPng(bytes);
    case ImageType::kGif:
      return StripGif(bytes);
    case ImageType::kWebp:
      return StripWebp(bytes);
  }
  return absl::InternalError("unhandled image type");
}

}  // namespace userimage
