#include "server/image/image_info.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "server/image/byte_reader.h"
#include "server/image/gif_blocks.h"
#include "server/image/image_errors.h"
#include "server/image/jpeg_segments.h"
#include "server/image/png_chunks.h"
#include "server/image/riff_chunks.h"

namespace userimage {
namespace {

constexpr absl::string_view kJpeg = "JPEG";
constexpr absl::string_view kPng = "PNG";
constexpr absl::string_view kGif = "GIF";
constexpr absl::string_view kWebp = "WebP";

// ---------------------------------------------------------------- JPEG

absl::StatusOr<ImageInfo> InspectJpeg(absl::string_view jpeg) {
  JpegSegmentReader reader(jpeg);
  while (true) {
    absl::StatusOr<std::optional<JpegSegment>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value() || (*next)->marker == jpeg_marker::kSos) {
      return DamagedImageError(
          kJpeg, "it has no frame header (SOF marker) before its image data");
    }
    const JpegSegment& segment = **next;
    if (!IsJpegStartOfFrame(segment.marker)) continue;
    ByteReader in(segment.payload);
    uint8_t precision, components;
    uint16_t height, width;
    if (!in.ReadU8(&precision) || !in.ReadBigEndian16(&height) ||
        !in.ReadBigEndian16(&width) || !in.ReadU8(&components) ||
        components == 0 || in.remaining() != 3 * size_t{components}) {
      return DamagedImageError(
          kJpeg, absl::StrFormat("its %s frame header at byte %d has an "
                                 "invalid length (%d bytes)",
                                 JpegMarkerName(segment.marker), segment.offset,
                                 segment.payload.size() + 2));
    }
    return ImageInfo{ImageType::kJpeg, width, height, 1};
  }
}

// ----------------------------------------------------------------- PNG

// Whether PNG allows `bit_depth` for `color_type`.
bool IsValidPngFormat(uint8_t color_type, uint8_t bit_depth) {
  switch (color_type) {
    case 0:  // Greyscale.
      return bit_depth == 1 || bit_depth == 2 || bit_depth == 4 ||
             bit_depth == 8 || bit_depth == 16;
    case 3:  // Palette.
      return bit_depth == 1 || bit_depth == 2 || bit_depth == 4 ||
             bit_depth == 8;
    case 2:  // RGB.
    case 4:  // Greyscale + alpha.
    case 6:  // RGBA.
      return bit_depth == 8 || bit_depth == 16;
  }
  return false;
}

absl::StatusOr<ImageInfo> InspectPng(absl::string_view png) {
  PngChunkReader reader(png);
  absl::StatusOr<std::optional<PngChunk>> next = reader.Next();
  if (!next.ok()) return next.status();
  const PngChunk ihdr = **next;  // The reader checks that IHDR is first.
  ByteReader in(ihdr.data);
  uint32_t width, height;
  uint8_t bit_depth, color_type, compression, filter, interlace;
  if (ihdr.data.size() != 13 || !in.ReadBigEndian32(&width) ||
      !in.ReadBigEndian32(&height) || !in.ReadU8(&bit_depth) ||
      !in.ReadU8(&color_type) || !in.ReadU8(&compression) ||
      !in.ReadU8(&filter) || !in.ReadU8(&interlace)) {
    return DamagedImageError(
        kPng, absl::StrFormat("its IHDR chunk is %d bytes long instead of 13",
                              ihdr.data.size()));
  }
  if (width > 0x7FFFFFFF || height > 0x7FFFFFFF) {
    return DamagedImageError(
        kPng, absl::StrFormat("its IHDR chunk declares the impossible size "
                              "%dx%d",
                              width, height));
  }
  if (!IsValidPngFormat(color_type, bit_depth)) {
    return DamagedImageError(
        kPng, absl::StrFormat("its IHDR chunk declares the invalid "
                              "combination of colour type %d and bit depth %d",
                              color_type, bit_depth));
  }
  if (compression != 0 || filter != 0 || interlace > 1) {
    return DamagedImageError(
        kPng, absl::StrFormat("its IHDR chunk declares unknown compression "
                              "(%d), filter (%d) or interlace (%d) methods",
                              compression, filter, interlace));
  }
  ImageInfo info{ImageType::kPng, width, height, 1};
  bool has_palette = false;
  while (true) {
    next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value() || (*next)->type == "IEND") {
      return DamagedImageError(kPng, "it has no image data (IDAT chunk)");
    }
    const PngChunk& chunk = **next;
    if (chunk.type == "IDAT") break;
    if (chunk.type == "PLTE") {
      has_palette = true;
    } else if (chunk.type == "acTL") {
      ByteReader actl(chunk.data);
      uint32_t frames;
      if (chunk.data.size() != 8 || !actl.ReadBigEndian32(&frames) ||
          frames == 0) {
        return DamagedImageError(
            kPng, "its animation control (acTL) chunk is invalid");
      }
      info.frame_count = frames;
    } else if (IsPngCriticalChunk(chunk.type)) {
      return UnsupportedImageError(
          kPng, absl::StrFormat("it has a critical chunk of unknown type %s "
                                "that decoders cannot show",
                                chunk.type));
    }
  }
  if (color_type == 3 && !has_palette) {
    return DamagedImageError(
        kPng, "it is a palette image without a palette (PLTE chunk)");
  }
  return info;
}

// ----------------------------------------------------------------- GIF

absl::StatusOr<ImageInfo> InspectGif(absl::string_view gif) {
  GifBlockReader reader(gif);
  absl::StatusOr<std::optional<GifBlock>> next = reader.Next();
  if (!next.ok()) return next.status();
  ImageInfo info{ImageType::kGif, (*next)->width, (*next)->height, 0};
  while (true) {
    next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const GifBlock& block = **next;
    if (block.kind != GifBlock::Kind::kImage) continue;
    ++info.frame_count;
    // Browsers grow the canvas to frames that extend beyond the logical
    // screen, so the canvas is what a decoder may allocate.
    info.width = std::max(info.width, block.left + block.width);
    info.height = std::max(info.height, block.top + block.height);
  }
  if (info.frame_count == 0) {
    return DamagedImageError(kGif, "it contains no image");
  }
  return info;
}

// ---------------------------------------------------------------- WebP

struct Size {
  uint32_t width;
  uint32_t height;
};

// The frame header of a lossy (VP8) bitstream.
absl::StatusOr<Size> ReadVp8Size(absl::string_view vp8) {
  ByteReader in(vp8);
  uint32_t frame_tag;
  absl::string_view start_code;
  uint16_t width, height;
  if (!in.ReadLittleEndian24(&frame_tag) || !in.ReadBytes(3, &start_code) ||
      !in.ReadLittleEndian16(&width) || !in.ReadLittleEndian16(&height)) {
    return TruncatedImageError(kWebp, "its VP8 frame header is incomplete");
  }
  const bool key_frame = (frame_tag & 1) == 0;
  const uint32_t version = (frame_tag >> 1) & 7;
  const bool show_frame = (frame_tag >> 4) & 1;
  const uint32_t partition_size = frame_tag >> 5;
  if (!key_frame || version > 3 || !show_frame ||
      partition_size >= vp8.size() || start_code != "\x9D\x01\x2A") {
    return DamagedImageError(kWebp, "its VP8 frame header is invalid");
  }
  // The top two bits of each are an upscaling hint, not part of the size.
  return Size{width & 0x3FFFu, height & 0x3FFFu};
}

// The header of a lossless (VP8L) bitstream.
absl::StatusOr<Size> ReadVp8lSize(absl::string_view vp8l) {
  ByteReader in(vp8l);
  uint8_t signature;
  uint32_t bits;
  if (!in.ReadU8(&signature) || !in.ReadLittleEndian32(&bits)) {
    return TruncatedImageError(kWebp, "its VP8L header is incomplete");
  }
  if (signature != 0x2F || (bits >> 29) != 0) {
    return DamagedImageError(kWebp, "its VP8L header is invalid");
  }
  return Size{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
}

// The image size of a "VP8 " or "VP8L" chunk.
absl::StatusOr<Size> ReadBitstreamSize(const RiffChunk& chunk) {
  return chunk.fourcc == "VP8 " ? ReadVp8Size(chunk.payload)
                                : ReadVp8lSize(chunk.payload);
}

// The size of the first VP8 or VP8L bitstream among `chunks`, or nullopt
// if there is none.
absl::StatusOr<std::optional<Size>> FindBitstreamSize(
    absl::string_view chunks, absl::string_view context) {
  RiffChunkReader reader(chunks, context);
  while (true) {
    absl::StatusOr<std::optional<RiffChunk>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return std::nullopt;
    if ((*next)->fourcc != "VP8 " && (*next)->fourcc != "VP8L") continue;
    absl::StatusOr<Size> size = ReadBitstreamSize(**next);
    if (!size.ok()) return size.status();
    return *size;
  }
}

absl::StatusOr<ImageInfo> InspectExtendedWebp(absl::string_view vp8x,
                                              RiffChunkReader& reader) {
  ByteReader in(vp8x);
  uint8_t flags;
  uint32_t canvas_width, canvas_height;
  if (vp8x.size() != 10 || !in.ReadU8(&flags) || !in.Skip(3) ||
      !in.ReadLittleEndian24(&canvas_width) ||
      !in.ReadLittleEndian24(&canvas_height)) {
    return DamagedImageError(
        kWebp, absl::StrFormat("its VP8X chunk is %d bytes long instead of 10",
                               vp8x.size()));
  }
  ImageInfo info{ImageType::kWebp, canvas_width + 1, canvas_height + 1, 0};
  const bool animated = flags & 0x02;
  while (true) {
    absl::StatusOr<std::optional<RiffChunk>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const RiffChunk& chunk = **next;
    if (!animated && (chunk.fourcc == "VP8 " || chunk.fourcc == "VP8L")) {
      absl::StatusOr<Size> size = ReadBitstreamSize(chunk);
      if (!size.ok()) return size.status();
      if (size->width != info.width || size->height != info.height) {
        return DamagedImageError(
            kWebp, absl::StrFormat("its image is %dx%d but its canvas is %dx%d",
                                   size->width, size->height, info.width,
                                   info.height));
      }
      info.frame_count = 1;
      break;
    }
    if (!animated || chunk.fourcc != "ANMF") continue;
    ++info.frame_count;
    ByteReader frame(chunk.payload);
    uint32_t x, y, width, height;
    if (!frame.ReadLittleEndian24(&x) || !frame.ReadLittleEndian24(&y) ||
        !frame.ReadLittleEndian24(&width) ||
        !frame.ReadLittleEndian24(&height) || !frame.Skip(4)) {
      return DamagedImageError(
          kWebp, absl::StrFormat("the header of animation frame %d is "
                                 "incomplete",
                                 info.frame_count));
    }
    // Offsets are stored halved, sizes minus one; all fit in 64 bits.
    const uint64_t left = uint64_t{x} * 2, top = uint64_t{y} * 2;
    ++width;
    ++height;
    if (left + width > info.width || top + height > info.height) {
      return DamagedImageError(
          kWebp, absl::StrFormat("animation frame %d (%dx%d at %d,%d) extends "
                                 "outside the %dx%d canvas",
                                 info.frame_count, width, height, left, top,
                                 info.width, info.height));
    }
    absl::StatusOr<std::optional<Size>> size =
        FindBitstreamSize(frame.rest(), "WebP animation frame");
    if (!size.ok()) return size.status();
    if (!size->has_value()) {
      return DamagedImageError(
          kWebp, absl::StrFormat("animation frame %d has no image data",
                                 info.frame_count));
    }
    if ((*size)->width != width || (*size)->height != height) {
      return DamagedImageError(
          kWebp, absl::StrFormat("animation frame %d holds a %dx%d image but "
                                 "its header says %dx%d",
                                 info.frame_count, (*size)->width,
                                 (*size)->height, width, height));
    }
  }
  if (info.frame_count == 0) {
    return DamagedImageError(
        kWebp, animated ? "it is animated but has no frames (ANMF chunks)"
                        : "it has no image data (VP8 or VP8L chunk)");
  }
  return info;
}

absl::StatusOr<ImageInfo> InspectWebp(absl::string_view webp) {
  absl::StatusOr<WebpContainer> container = ReadWebpContainer(webp);
  if (!container.ok()) return container.status();
  RiffChunkReader reader(container->chunks, kWebp);
  absl::StatusOr<std::optional<RiffChunk>> first = reader.Next();
  if (!first.ok()) return first.status();
  if (!first->has_value()) {
    return DamagedImageError(kWebp, "it contains no chunks");
  }
  const RiffChunk& chunk = **first;
  if (chunk.fourcc == "VP8X") return InspectExtendedWebp(chunk.payload, reader);
  if (chunk.fourcc != "VP8 " && chunk.fourcc != "VP8L") {
    return DamagedImageError(
        kWebp, absl::StrFormat("its first chunk is \"%s\" instead of VP8, "
                               "VP8L or VP8X",
                               absl::CHexEscape(chunk.fourcc)));
  }
  absl::StatusOr<Size> size = ReadBitstreamSize(chunk);
  if (!size.ok()) return size.status();
  return ImageInfo{ImageType::kWebp, size->width, size->height, 1};
}

}  // namespace

absl::StatusOr<ImageInfo> InspectImage(absl::string_view bytes) {
  const std::optional<ImageType> type = SniffImageType(bytes);
  if (!type.has_value()) {
    return absl::InvalidArgumentError(
        "the file is not a JPEG, PNG, GIF or WebP image: send one of those "
        "formats");
  }
  switch (*type) {
    case ImageType::kJpeg:
      return InspectJpeg(bytes);
    case ImageType::kPng:
      return InspectPng(bytes);
    case ImageType::kGif:
      return InspectGif(bytes);
    case ImageType::kWebp:
      return InspectWebp(bytes);
  }
  return absl::InternalError("unhandled image type");
}

}  // namespace userimage
