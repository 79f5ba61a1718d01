#include "server/image/gif_blocks.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "server/image/byte_reader.h"
#include "server/image/image_errors.h"

namespace userimage {
namespace {

constexpr absl::string_view kGif = "GIF";
constexpr uint8_t kImageSeparator = 0x2C;
constexpr uint8_t kExtensionIntroducer = 0x21;
constexpr uint8_t kTrailer = 0x3B;

// Size in bytes of the colour table a packed field announces (0 if none).
size_t ColorTableSize(uint8_t packed) {
  return (packed & 0x80) ? 3 * (size_t{2} << (packed & 0x07)) : 0;
}

// Skips data sub-blocks up to and including the zero-length terminator.
// Stores the first sub-block's data in `*first` if given.
bool SkipSubBlocks(ByteReader& in, absl::string_view* first) {
  bool is_first = true;
  while (true) {
    uint8_t size;
    absl::string_view data;
    if (!in.ReadU8(&size) || !in.ReadBytes(size, &data)) return false;
    if (size == 0) return true;
    if (is_first && first != nullptr) *first = data;
    is_first = false;
  }
}

}  // namespace

absl::StatusOr<std::optional<GifBlock>> GifBlockReader::Next() {
  switch (state_) {
    case State::kStart:
      return ReadHeader();
    case State::kBlocks:
      break;
    case State::kDone:
      return std::nullopt;
    case State::kFailed:
      return error_;
  }
  const size_t start = offset_;
  ByteReader in(gif_.substr(start));
  uint8_t introducer;
  if (!in.ReadU8(&introducer)) {  // No trailer: decoders cope.
    state_ = State::kDone;
    return std::nullopt;
  }
  GifBlock block;
  switch (introducer) {
    case kTrailer:
      block.kind = GifBlock::Kind::kTrailer;
      state_ = State::kDone;
      break;
    case kImageSeparator: {
      block.kind = GifBlock::Kind::kImage;
      uint16_t left, top, width, height;
      uint8_t packed, lzw_code_size;
      if (!in.ReadLittleEndian16(&left) || !in.ReadLittleEndian16(&top) ||
          !in.ReadLittleEndian16(&width) || !in.ReadLittleEndian16(&height) ||
          !in.ReadU8(&packed) || !in.Skip(ColorTableSize(packed)) ||
          !in.ReadU8(&lzw_code_size) || !SkipSubBlocks(in, nullptr)) {
        return Fail(TruncatedImageError(
            kGif,
            absl::StrFormat("it ends inside the image at byte %d", start)));
      }
      block.left = left;
      block.top = top;
      block.width = width;
      block.height = height;
      break;
    }
    case kExtensionIntroducer:
      block.kind = GifBlock::Kind::kExtension;
      if (!in.ReadU8(&block.label) ||
          !SkipSubBlocks(in, &block.first_sub_block)) {
        return Fail(TruncatedImageError(
            kGif,
            absl::StrFormat("it ends inside the extension at byte %d", start)));
      }
      break;
    default:
      return Fail(DamagedImageError(
          kGif, absl::StrFormat("byte %d is 0x%02X where an image, an "
                                "extension or the trailer should begin",
                                start, introducer)));
  }
  offset_ = start + in.offset();
  block.bytes = gif_.substr(start, in.offset());
  return block;
}

absl::StatusOr<std::optional<GifBlock>> GifBlockReader::ReadHeader() {
  ByteReader in(gif_);
  absl::string_view signature;
  if (!in.ReadBytes(6, &signature) ||
      (signature != "GIF87a" && signature != "GIF89a")) {
    return Fail(DamagedImageError(
        kGif, "it does not start with the signature GIF87a or GIF89a"));
  }
  uint16_t width, height;
  uint8_t packed;
  if (!in.ReadLittleEndian16(&width) || !in.ReadLittleEndian16(&height) ||
      !in.ReadU8(&packed) || !in.Skip(2) ||  // Background, aspect ratio.
      !in.Skip(ColorTableSize(packed))) {
    return Fail(TruncatedImageError(
        kGif,
        "it ends inside its header (logical screen descriptor and "
        "global colour table)"));
  }
  GifBlock block;
  block.kind = GifBlock::Kind::kHeader;
  block.bytes = gif_.substr(0, in.offset());
  block.width = width;
  block.height = height;
  offset_ = in.offset();
  state_ = State::kBlocks;
  return block;
}

absl::string_view GifBlockReader::trailing_data() const {
  return state_ == State::kDone ? gif_.substr(offset_) : absl::string_view();
}

absl::StatusOr<std::optional<GifBlock>> GifBlockReader::Fail(
    absl::Status status) {
  state_ = State::kFailed;
  error_ = std::move(status);
  return error_;
}

}  // namespace userimage
