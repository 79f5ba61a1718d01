#include "server/image/strip_metadata.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

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

std::string BigEndian16(uint16_t value) {
  return {static_cast<char>(value >> 8), static_cast<char>(value & 0xFF)};
}

std::string LittleEndian32(uint32_t value) {
  std::string out;
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
  }
  return out;
}

// What stripping keeps, in order: ranges of the input (views, merged when
// they follow each other) and the few bytes written instead of what is
// dropped. Nothing is copied until ToString(), and an image that comes out
// exactly as it went in is recognised without a copy.
class Output {
 public:
  explicit Output(absl::string_view input) : input_(input) {}

  // `bytes` must lie inside the input.
  void Keep(absl::string_view bytes) {
    if (!pieces_.empty() && pieces_.back().kept &&
        pieces_.back().bytes.data() + pieces_.back().bytes.size() ==
            bytes.data()) {
      absl::string_view& last = pieces_.back().bytes;
      last = absl::string_view(last.data(), last.size() + bytes.size());
    } else {
      pieces_.push_back({bytes, true});
    }
    size_ += bytes.size();
  }
  // Returns the piece, whose bytes may still be overwritten in place (at
  // the same size).
  std::string& Write(std::string bytes) {
    size_ += bytes.size();
    written_.push_back(std::move(bytes));
    pieces_.push_back({written_.back(), false});
    return written_.back();
  }
  size_t size() const { return size_; }

  // The output is byte for byte the input: every kept range sits where it
  // was, and every written piece repeats the input's bytes there.
  bool Unchanged() const {
    if (size_ != input_.size()) return false;
    size_t at = 0;
    for (const Piece& piece : pieces_) {
      if (piece.kept ? piece.bytes.data() != input_.data() + at
                     : input_.substr(at, piece.bytes.size()) != piece.bytes) {
        return false;
      }
      at += piece.bytes.size();
    }
    return true;
  }
  std::string ToString() const {
    std::string out;
    out.reserve(size_);
    for (const Piece& piece : pieces_) {
      out.append(piece.bytes.data(), piece.bytes.size());
    }
    return out;
  }

 private:
  struct Piece {
    absl::string_view bytes;
    bool kept;  // A range of the input, or one of `written_`.
  };
  const absl::string_view input_;
  std::vector<Piece> pieces_;
  std::deque<std::string> written_;  // Stable addresses for the views.
  size_t size_ = 0;
};

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

std::string JpegSegmentBytes(uint8_t marker, absl::string_view payload) {
  return absl::StrCat("\xFF", std::string(1, static_cast<char>(marker)),
                      BigEndian16(static_cast<uint16_t>(payload.size() + 2)),
                      payload);
}

// Keeps or rewrites what to keep of an APPn or COM segment.
void KeepJpegMetadataSegment(const JpegSegment& segment,
                             bool& wrote_orientation, Output& out) {
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
        out.Keep(segment.bytes);
        return;
      }
      // JFIF without its thumbnail (a thumbnail of 0x0 pixels).
      out.Write(JpegSegmentBytes(
          segment.marker, absl::StrCat(payload.substr(0, kJfifFieldsSize),
                                       absl::string_view("\0\0", 2))));
      return;
    case jpeg_marker::kApp1:
      if (!wrote_orientation && absl::StartsWith(payload, kExifHeader)) {
        if (std::optional<int> orientation = OrientationToKeep(payload)) {
          out.Write(JpegSegmentBytes(
              segment.marker,
              absl::StrCat(kExifHeader, OrientationOnlyExif(*orientation))));
          wrote_orientation = true;
        }
      }
      return;
    case jpeg_marker::kApp2:
      if (absl::StartsWith(payload, absl::string_view("ICC_PROFILE\0", 12))) {
        out.Keep(segment.bytes);
      }
      return;
    case jpeg_marker::kApp14:
      if (absl::StartsWith(payload, "Adobe")) out.Keep(segment.bytes);
      return;
  }
}

absl::Status StripJpeg(absl::string_view jpeg, Output& out) {
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
      KeepJpegMetadataSegment(segment, wrote_orientation, out);
    } else {
      out.Keep(segment.bytes);
    }
  }
  return absl::OkStatus();
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

absl::Status StripPng(absl::string_view png, Output& out) {
  out.Keep(png.substr(0, kPngSignature.size()));
  PngChunkReader reader(png);
  while (true) {
    absl::StatusOr<std::optional<PngChunk>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const PngChunk& chunk = **next;
    if (KeepPngChunk(chunk.type)) {
      out.Keep(chunk.bytes);
    } else if (IsPngCriticalChunk(chunk.type)) {
      return UnsupportedImageError(
          "PNG", absl::StrFormat("it has a critical chunk of unknown type %s "
                                 "that decoders cannot show",
                                 chunk.type));
    }
  }
  return absl::OkStatus();
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

absl::Status StripGif(absl::string_view gif, Output& out) {
  GifBlockReader reader(gif);
  while (true) {
    absl::StatusOr<std::optional<GifBlock>> next = reader.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;
    const GifBlock& block = **next;
    if (block.kind != GifBlock::Kind::kExtension || KeepGifExtension(block)) {
      out.Keep(block.bytes);
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- WebP

constexpr uint8_t kWebpExifFlag = 0x08;
constexpr uint8_t kWebpXmpFlag = 0x04;

bool KeepWebpChunk(absl::string_view fourcc) {
  return fourcc == "ICCP" || fourcc == "ANIM" || fourcc == "ANMF" ||
         fourcc == "ALPH" || fourcc == "VP8 " || fourcc == "VP8L";
}

absl::Status StripWebp(absl::string_view webp, Output& out) {
  absl::StatusOr<WebpContainer> container = ReadWebpContainer(webp);
  if (!container.ok()) return container.status();
  RiffChunkReader reader(container->chunks, "WebP");
  // InspectImage has checked that there is a first chunk, and that it is
  // VP8, VP8L or a 10-byte VP8X.
  absl::StatusOr<std::optional<RiffChunk>> next = reader.Next();
  if (!next.ok()) return next.status();
  const RiffChunk first = **next;
  // The RIFF size is filled in once the chunks are known.
  std::string& riff = out.Write(std::string("RIFF\0\0\0\0WEBP", 12));
  if (first.fourcc != "VP8X") {
    // A simple file: its image chunk is all a decoder reads.
    out.Keep(first.bytes);
  } else {
    uint8_t flags = static_cast<uint8_t>(first.payload[0]);
    flags &= ~(kWebpExifFlag | kWebpXmpFlag);
    out.Keep(first.bytes.substr(0, 8));  // "VP8X" and its size.
    std::string& flags_byte = out.Write(std::string(1, '\0'));
    out.Keep(first.payload.substr(1));
    while (true) {
      next = reader.Next();
      if (!next.ok()) return next.status();
      if (!next->has_value()) break;
      const RiffChunk& chunk = **next;
      if (KeepWebpChunk(chunk.fourcc)) {
        out.Keep(chunk.bytes);
      } else if (chunk.fourcc == "EXIF" && !(flags & kWebpExifFlag)) {
        if (std::optional<int> orientation = OrientationToKeep(chunk.payload)) {
          const std::string exif = OrientationOnlyExif(*orientation);
          // Even size: no padding.
          out.Write(absl::StrCat("EXIF", LittleEndian32(exif.size()), exif));
          flags |= kWebpExifFlag;
        }
      }
    }
    flags_byte[0] = static_cast<char>(flags);
  }
  // Overwritten in place: the piece's view of `riff` stays valid.
  const std::string riff_size = LittleEndian32(out.size() - 8);
  std::copy(riff_size.begin(), riff_size.end(), riff.begin() + 4);
  return absl::OkStatus();
}

// Fills `out` with what to keep of `bytes`.
absl::Status Strip(absl::string_view bytes, Output& out) {
  absl::StatusOr<ImageInfo> info = InspectImage(bytes);
  if (!info.ok()) return info.status();
  switch (info->type) {
    case ImageType::kJpeg:
      return StripJpeg(bytes, out);
    case ImageType::kPng:
      return StripPng(bytes, out);
    case ImageType::kGif:
      return StripGif(bytes, out);
    case ImageType::kWebp:
      return StripWebp(bytes, out);
  }
  return absl::InternalError("unhandled image type");
}

}  // namespace

absl::StatusOr<std::string> StripMetadata(absl::string_view bytes) {
  Output out(bytes);
  if (absl::Status s = Strip(bytes, out); !s.ok()) return s;
  return out.ToString();
}

absl::StatusOr<bool> StripMetadataFrom(std::string& image) {
  Output out(image);
  if (absl::Status s = Strip(image, out); !s.ok()) return s;
  if (out.Unchanged()) return false;
  image = out.ToString();
  return true;
}

}  // namespace userimage
