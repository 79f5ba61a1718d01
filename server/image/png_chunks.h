#ifndef SERVER_IMAGE_PNG_CHUNKS_H_
#define SERVER_IMAGE_PNG_CHUNKS_H_

#include <cstddef>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// The 8-byte signature every PNG file starts with.
inline constexpr absl::string_view kPngSignature = "\x89PNG\r\n\x1A\n";

// One chunk of a PNG file, viewed in place in the file's bytes.
struct PngChunk {
  // The four-letter chunk type, e.g. "IHDR".
  absl::string_view type;
  // The chunk data (between the type and the CRC).
  absl::string_view data;
  // The whole chunk as stored: length, type, data and CRC.
  absl::string_view bytes;
  // Offset of `bytes` in the file.
  size_t offset = 0;
};

// True when decoders must understand the chunk to show the image (its
// type's first letter is upper case: IHDR, PLTE, IDAT, IEND).
bool IsPngCriticalChunk(absl::string_view type);

// Walks the chunks of a PNG file without decoding it. Checks the
// signature, that IHDR comes first, that each chunk's type is four ASCII
// letters and that its declared length is within PNG's limit (2^31 - 1) and
// within the data, and that the file has an IEND chunk. CRCs are not
// checked: the bytes of every chunk are passed on unchanged, and decoders
// check them.
//
// Borrows `png`, which must outlive the reader and the chunks it returns.
// Not thread-safe.
class PngChunkReader {
 public:
  explicit PngChunkReader(absl::string_view png) : png_(png) {}

  // The next chunk (the first is IHDR), nullopt after IEND, or
  // INVALID_ARGUMENT saying what is wrong with the file. After an error or
  // nullopt, every further call returns the same.
  absl::StatusOr<std::optional<PngChunk>> Next();

  // The bytes after IEND, once Next() returned nullopt (empty if none).
  absl::string_view trailing_data() const;

 private:
  enum class State { kStart, kChunks, kDone, kFailed };

  absl::StatusOr<std::optional<PngChunk>> Fail(absl::Status status);

  absl::string_view png_;
  size_t offset_ = 0;
  State state_ = State::kStart;
  absl::Status error_;
};

}  // namespace userimage

#endif  // SERVER_IMAGE_PNG_CHUNKS_H_
