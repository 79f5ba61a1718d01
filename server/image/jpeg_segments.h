#ifndef SERVER_IMAGE_JPEG_SEGMENTS_H_
#define SERVER_IMAGE_JPEG_SEGMENTS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// JPEG marker codes (the byte after 0xFF) this library refers to.
namespace jpeg_marker {
inline constexpr uint8_t kTem = 0x01;
inline constexpr uint8_t kRst0 = 0xD0;
inline constexpr uint8_t kRst7 = 0xD7;
inline constexpr uint8_t kSoi = 0xD8;
inline constexpr uint8_t kEoi = 0xD9;
inline constexpr uint8_t kSos = 0xDA;
inline constexpr uint8_t kApp0 = 0xE0;
inline constexpr uint8_t kApp1 = 0xE1;
inline constexpr uint8_t kApp2 = 0xE2;
inline constexpr uint8_t kApp14 = 0xEE;
inline constexpr uint8_t kApp15 = 0xEF;
inline constexpr uint8_t kCom = 0xFE;
// Not a marker: labels the entropy-coded (compressed pixel) data that
// follows a start-of-scan header (0xFF 0x00 never starts a segment).
inline constexpr uint8_t kEntropyCodedData = 0x00;
}  // namespace jpeg_marker

// True for the start-of-frame markers SOF0–SOF3, SOF5–SOF7, SOF9–SOF11 and
// SOF13–SOF15, whose segment holds the image dimensions.
bool IsJpegStartOfFrame(uint8_t marker);

// A short name for a marker in error messages: "SOF0", "APP1", "DQT"...
std::string JpegMarkerName(uint8_t marker);

// One piece of a JPEG file, viewed in place in the file's bytes.
struct JpegSegment {
  // The marker code, or jpeg_marker::kEntropyCodedData.
  uint8_t marker = 0;
  // The piece exactly as stored: any fill bytes (0xFF) before the marker,
  // the marker, its length field and its payload. Entropy-coded data
  // includes the restart markers (RSTn) inside it.
  absl::string_view bytes;
  // What follows the marker's length field; empty for markers without one
  // (SOI, EOI, RSTn, TEM). For entropy-coded data, the same as `bytes`.
  absl::string_view payload;
  // Offset of `bytes` in the file.
  size_t offset = 0;
};

// Walks the structure of a JPEG file without decoding it: SOI, then marker
// segments (with their declared lengths checked against the data), and
// after each start-of-scan (SOS) header the entropy-coded data up to the
// next marker, until EOI. Fill bytes before markers are accepted, as are
// standalone markers (TEM, RSTn) between segments; a byte that is neither
// a marker nor inside a segment is an error, as is a segment that runs past
// the end of the data or a file that ends before its first SOS. A file that
// ends inside or after its compressed data without EOI (a common kind of
// truncation that decoders show anyway) ends the walk normally.
//
// Borrows `jpeg`, which must outlive the reader and the segments it
// returns. Not thread-safe.
class JpegSegmentReader {
 public:
  explicit JpegSegmentReader(absl::string_view jpeg) : jpeg_(jpeg) {}

  // The next piece (the first is SOI), nullopt once the walk is over, or
  // INVALID_ARGUMENT saying what is wrong with the file. After an error or
  // nullopt, every further call returns the same.
  absl::StatusOr<std::optional<JpegSegment>> Next();

  // The bytes after EOI, once Next() returned nullopt (empty if none).
  absl::string_view trailing_data() const;

 private:
  enum class State { kStart, kMarkers, kEntropyCodedData, kDone, kFailed };

  absl::StatusOr<std::optional<JpegSegment>> NextMarkerSegment();
  absl::StatusOr<std::optional<JpegSegment>> NextEntropyCodedData();
  absl::StatusOr<std::optional<JpegSegment>> Fail(absl::Status status);

  absl::string_view jpeg_;
  size_t offset_ = 0;
  State state_ = State::kStart;
  bool seen_scan_ = false;
  absl::Status error_;
};

}  // namespace userimage

#endif  // SERVER_IMAGE_JPEG_SEGMENTS_H_
