#include "server/image/jpeg_segments.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/image/byte_reader.h"
#include "server/image/image_errors.h"

namespace userimage {
namespace {

constexpr absl::string_view kJpeg = "JPEG";

bool IsStandalone(uint8_t marker) {
  return marker == jpeg_marker::kTem ||
         (marker >= jpeg_marker::kRst0 && marker <= jpeg_marker::kRst7);
}

}  // namespace

bool IsJpegStartOfFrame(uint8_t marker) {
  // 0xC4 (DHT), 0xC8 (JPG) and 0xCC (DAC) share the range but are not
  // frame headers.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
         marker != 0xCC;
}

std::string JpegMarkerName(uint8_t marker) {
  if (IsJpegStartOfFrame(marker)) return absl::StrCat("SOF", marker - 0xC0);
  if (marker >= jpeg_marker::kRst0 && marker <= jpeg_marker::kRst7) {
    return absl::StrCat("RST", marker - jpeg_marker::kRst0);
  }
  if (marker >= jpeg_marker::kApp0 && marker <= jpeg_marker::kApp15) {
    return absl::StrCat("APP", marker - jpeg_marker::kApp0);
  }
  switch (marker) {
    case jpeg_marker::kTem:
      return "TEM";
    case 0xC4:
      return "DHT";
    case 0xCC:
      return "DAC";
    case jpeg_marker::kSoi:
      return "SOI";
    case jpeg_marker::kEoi:
      return "EOI";
    case jpeg_marker::kSos:
      return "SOS";
    case 0xDB:
      return "DQT";
    case 0xDC:
      return "DNL";
    case 0xDD:
      return "DRI";
    case jpeg_marker::kCom:
      return "COM";
  }
  return absl::StrFormat("0x%02X", marker);
}

absl::StatusOr<std::optional<JpegSegment>> JpegSegmentReader::Next() {
  switch (state_) {
    case State::kStart: {
      if (jpeg_.size() < 2 || static_cast<uint8_t>(jpeg_[0]) != 0xFF ||
          static_cast<uint8_t>(jpeg_[1]) != jpeg_marker::kSoi) {
        return Fail(DamagedImageError(
            kJpeg, "it does not start with the JPEG start-of-image marker"));
      }
      offset_ = 2;
      state_ = State::kMarkers;
      return JpegSegment{jpeg_marker::kSoi, jpeg_.substr(0, 2), {}, 0};
    }
    case State::kMarkers:
      return NextMarkerSegment();
    case State::kEntropyCodedData:
      return NextEntropyCodedData();
    case State::kDone:
      return std::nullopt;
    case State::kFailed:
      return error_;
  }
  return std::nullopt;
}

absl::string_view JpegSegmentReader::trailing_data() const {
  return state_ == State::kDone ? jpeg_.substr(offset_) : absl::string_view();
}

absl::StatusOr<std::optional<JpegSegment>> JpegSegmentReader::Fail(
    absl::Status status) {
  state_ = State::kFailed;
  error_ = std::move(status);
  return error_;
}

absl::StatusOr<std::optional<JpegSegment>>
JpegSegmentReader::NextMarkerSegment() {
  const size_t start = offset_;
  ByteReader in(jpeg_.substr(start));
  uint8_t byte;
  if (!in.ReadU8(&byte)) {
    if (seen_scan_) {  // Truncated after compressed data: decoders cope.
      state_ = State::kDone;
      return std::nullopt;
    }
    return Fail(TruncatedImageError(
        kJpeg, "it ends before its image data begins (no SOS marker)"));
  }
  if (byte != 0xFF) {
    return Fail(DamagedImageError(
        kJpeg, absl::StrFormat("byte %d is 0x%02X where a marker (0xFF) "
                               "should begin",
                               start, byte)));
  }
  uint8_t marker = 0xFF;
  while (marker == 0xFF) {  // Any number of 0xFF fill bytes may precede it.
    if (!in.ReadU8(&marker)) {
      return Fail(TruncatedImageError(
          kJpeg,
          absl::StrFormat("it ends inside the marker at byte %d", start)));
    }
  }
  const size_t marker_end = start + in.offset();
  if (marker == 0x00 || marker == jpeg_marker::kSoi) {
    return Fail(DamagedImageError(
        kJpeg, absl::StrFormat("byte %d holds the invalid marker 0xFF%02X",
                               marker_end - 2, marker)));
  }
  if (marker == jpeg_marker::kEoi) {
    if (!seen_scan_) {
      return Fail(DamagedImageError(
          kJpeg, "it ends (EOI marker) before its image data (SOS marker)"));
    }
    offset_ = marker_end;
    state_ = State::kDone;
    return JpegSegment{
        marker, jpeg_.substr(start, marker_end - start), {}, start};
  }
  if (IsStandalone(marker)) {
    offset_ = marker_end;
    return JpegSegment{
        marker, jpeg_.substr(start, marker_end - start), {}, start};
  }
  uint16_t length;
  if (!in.ReadBigEndian16(&length)) {
    return Fail(TruncatedImageError(
        kJpeg, absl::StrFormat("it ends inside the length of the %s segment "
                               "at byte %d",
                               JpegMarkerName(marker), start)));
  }
  if (length < 2) {
    return Fail(DamagedImageError(
        kJpeg, absl::StrFormat("the %s segment at byte %d declares the "
                               "impossible length %d",
                               JpegMarkerName(marker), start, length)));
  }
  absl::string_view payload;
  if (!in.ReadBytes(length - 2, &payload)) {
    return Fail(TruncatedImageError(
        kJpeg, absl::StrFormat("the %s segment at byte %d declares %d bytes "
                               "but only %d remain",
                               JpegMarkerName(marker), start, length - 2,
                               in.remaining())));
  }
  offset_ = start + in.offset();
  if (marker == jpeg_marker::kSos) {
    seen_scan_ = true;
    state_ = State::kEntropyCodedData;
  }
  return JpegSegment{marker, jpeg_.substr(start, offset_ - start), payload,
                     start};
}

absl::StatusOr<std::optional<JpegSegment>>
JpegSegmentReader::NextEntropyCodedData() {
  // Inside entropy-coded data a 0xFF byte is followed by 0x00 (a stuffed
  // zero) or by a restart marker; any other marker, possibly after fill
  // bytes, ends the data.
  const size_t start = offset_;
  size_t end = jpeg_.size();
  for (size_t i = start; i < jpeg_.size(); ++i) {
    if (static_cast<uint8_t>(jpeg_[i]) != 0xFF) continue;
    size_t j = i + 1;
    while (j < jpeg_.size() && static_cast<uint8_t>(jpeg_[j]) == 0xFF) ++j;
    if (j == jpeg_.size()) break;  // Ends in fill bytes: truncated data.
    const uint8_t next = static_cast<uint8_t>(jpeg_[j]);
    if (next == 0x00 ||
        (next >= jpeg_marker::kRst0 && next <= jpeg_marker::kRst7)) {
      i = j;
      continue;
    }
    end = i;
    break;
  }
  offset_ = end;
  state_ = State::kMarkers;
  if (end == start) return NextMarkerSegment();  // No data in this scan.
  absl::string_view data = jpeg_.substr(start, end - start);
  return JpegSegment{jpeg_marker::kEntropyCodedData, data, data, start};
}

}  // namespace userimage
