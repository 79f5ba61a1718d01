#ifndef SERVER_IMAGE_RIFF_CHUNKS_H_
#define SERVER_IMAGE_RIFF_CHUNKS_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// The RIFF container of a WebP file, viewed in place in the file's bytes.
struct WebpContainer {
  // The chunks: what follows "RIFF", the size and "WEBP", up to the end the
  // RIFF size declares.
  absl::string_view chunks;
  // Bytes after the end the RIFF size declares (ignored by decoders).
  absl::string_view trailing_data;
};

// Checks the 12-byte RIFF header of a WebP file ("RIFF", a little-endian
// size, "WEBP") and that the data holds the size it declares. Returns
// INVALID_ARGUMENT, saying what is wrong, otherwise. Borrows `webp`; the
// result views it. Thread-safe (pure function).
absl::StatusOr<WebpContainer> ReadWebpContainer(absl::string_view webp);

// One RIFF chunk, viewed in place.
struct RiffChunk {
  // The four-character code, e.g. "VP8X" or "VP8 ".
  absl::string_view fourcc;
  // The chunk payload (its declared size).
  absl::string_view payload;
  // The whole chunk as stored: fourcc, size, payload and the padding byte
  // that follows an odd-sized payload.
  absl::string_view bytes;
};

// Walks a sequence of RIFF chunks (WebpContainer::chunks, or the frame data
// of an ANMF chunk), checking that each chunk's declared size is within the
// data. The padding byte of an odd-sized last chunk may be missing, as
// decoders accept.
//
// Borrows `data`, which must outlive the reader and the chunks it returns.
// `context` names the data in error messages ("WebP", "WebP animation
// frame"). Not thread-safe.
class RiffChunkReader {
 public:
  RiffChunkReader(absl::string_view data, absl::string_view context)
      : data_(data), context_(context) {}

  // The next chunk, nullopt at the end of the data, or INVALID_ARGUMENT
  // saying what is wrong. After an error or nullopt, every further call
  // returns the same.
  absl::StatusOr<std::optional<RiffChunk>> Next();

 private:
  absl::string_view data_;
  absl::string_view context_;
  size_t offset_ = 0;
  absl::Status error_;
};

}  // namespace userimage

#endif  // SERVER_IMAGE_RIFF_CHUNKS_H_
