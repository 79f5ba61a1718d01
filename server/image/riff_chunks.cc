#include "server/image/riff_chunks.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "server/image/byte_reader.h"
#include "server/image/image_errors.h"

namespace userimage {
namespace {

constexpr absl::string_view kWebp = "WebP";

}  // namespace

absl::StatusOr<WebpContainer> ReadWebpContainer(absl::string_view webp) {
  ByteReader in(webp);
  absl::string_view riff, form;
  uint32_t size;
  if (!in.ReadBytes(4, &riff) || riff != "RIFF" ||
      !in.ReadLittleEndian32(&size) || !in.ReadBytes(4, &form) ||
      form != "WEBP") {
    return DamagedImageError(kWebp,
                             "it does not start with a RIFF WEBP header");
  }
  if (size < 4) {
    return DamagedImageError(
        kWebp, absl::StrFormat("its RIFF header declares the impossible "
                               "size %d",
                               size));
  }
  const size_t chunks_size = size - 4;  // The size counts "WEBP".
  if (chunks_size > in.remaining()) {
    return TruncatedImageError(
        kWebp, absl::StrFormat("its RIFF header declares %d bytes but the "
                               "file has only %d",
                               uint64_t{size} + 8, webp.size()));
  }
  absl::string_view chunks;
  in.ReadBytes(chunks_size, &chunks);
  return WebpContainer{chunks, in.rest()};
}

absl::StatusOr<std::optional<RiffChunk>> RiffChunkReader::Next() {
  if (!error_.ok()) return error_;
  if (offset_ == data_.size()) return std::nullopt;
  const size_t start = offset_;
  ByteReader in(data_.substr(start));
  absl::string_view fourcc;
  uint32_t size;
  if (!in.ReadBytes(4, &fourcc) || !in.ReadLittleEndian32(&size)) {
    error_ = TruncatedImageError(
        context_, absl::StrFormat("it ends inside a chunk header (%d bytes "
                                  "left where 8 are needed)",
                                  data_.size() - start));
    return error_;
  }
  absl::string_view payload;
  const size_t available = in.remaining();
  if (!in.ReadBytes(size, &payload)) {
    error_ = TruncatedImageError(
        context_, absl::StrFormat("its \"%s\" chunk declares %d bytes but "
                                  "only %d remain",
                                  absl::CHexEscape(fourcc), size, available));
    return error_;
  }
  if (size % 2 == 1) in.Skip(1);  // Padding; may be missing at the end.
  offset_ = start + in.offset();
  return RiffChunk{fourcc, payload, data_.substr(start, in.offset())};
}

}  // namespace userimage
