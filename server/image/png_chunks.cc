#include "server/image/png_chunks.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "server/image/byte_reader.h"
#include "server/image/image_errors.h"

namespace userimage {
namespace {

constexpr absl::string_view kPng = "PNG";
constexpr uint32_t kMaxChunkLength = 0x7FFFFFFF;

bool IsChunkType(absl::string_view type) {
  if (type.size() != 4) return false;
  for (char c : type) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool IsPngCriticalChunk(absl::string_view type) {
  return !type.empty() &&
         absl::ascii_isupper(static_cast<unsigned char>(type[0]));
}

absl::StatusOr<std::optional<PngChunk>> PngChunkReader::Next() {
  switch (state_) {
    case State::kStart:
      if (!absl::StartsWith(png_, kPngSignature)) {
        return Fail(DamagedImageError(
            kPng, "it does not start with the PNG signature"));
      }
      offset_ = kPngSignature.size();
      break;
    case State::kChunks:
      break;
    case State::kDone:
      return std::nullopt;
    case State::kFailed:
      return error_;
  }
  const size_t start = offset_;
  ByteReader in(png_.substr(start));
  if (in.empty()) {
    return Fail(TruncatedImageError(
        kPng,
        absl::StrFormat("it ends at byte %d without an IEND chunk", start)));
  }
  uint32_t length;
  absl::string_view type;
  if (!in.ReadBigEndian32(&length) || !in.ReadBytes(4, &type)) {
    return Fail(TruncatedImageError(
        kPng,
        absl::StrFormat("it ends inside the chunk header at byte %d", start)));
  }
  if (!IsChunkType(type)) {
    return Fail(DamagedImageError(
        kPng, absl::StrFormat("the chunk at byte %d has the invalid type "
                              "\"%s\"",
                              start, absl::CHexEscape(type))));
  }
  if (state_ == State::kStart && type != "IHDR") {
    return Fail(DamagedImageError(
        kPng, absl::StrFormat("its first chunk is %s instead of IHDR", type)));
  }
  if (length > kMaxChunkLength) {
    return Fail(DamagedImageError(
        kPng, absl::StrFormat("its %s chunk at byte %d declares %d bytes, "
                              "more than PNG allows",
                              type, start, length)));
  }
  absl::string_view data;
  const size_t available = in.remaining();
  if (!in.ReadBytes(length, &data) || !in.Skip(4)) {  // 4: the CRC.
    return Fail(TruncatedImageError(
        kPng, absl::StrFormat("its %s chunk at byte %d needs %d more bytes "
                              "but only %d remain",
                              type, start, uint64_t{length} + 4, available)));
  }
  offset_ = start + in.offset();
  state_ = type == "IEND" ? State::kDone : State::kChunks;
  return PngChunk{type, data, png_.substr(start, in.offset()), start};
}

absl::string_view PngChunkReader::trailing_data() const {
  return state_ == State::kDone ? png_.substr(offset_) : absl::string_view();
}

absl::StatusOr<std::optional<PngChunk>> PngChunkReader::Fail(
    absl::Status status) {
  state_ = State::kFailed;
  error_ = std::move(status);
  return error_;
}

}  // namespace userimage
