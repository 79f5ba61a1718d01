#ifndef SERVER_IMAGE_BYTE_READER_H_
#define SERVER_IMAGE_BYTE_READER_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace userimage {

// A bounds-checked cursor over a byte string, for parsing container headers.
// Every read either succeeds completely and advances the cursor, or fails
// (returns false) and leaves the cursor where it was: a reader can never
// read past the end of its data.
//
// Borrows `data`, which must outlive the reader. Not thread-safe; cheap to
// copy (a copy is an independent cursor over the same bytes).
class ByteReader {
 public:
  explicit ByteReader(absl::string_view data) : data_(data) {}

  // Bytes consumed so far.
  size_t offset() const { return offset_; }
  // Bytes left to read.
  size_t remaining() const { return data_.size() - offset_; }
  bool empty() const { return remaining() == 0; }
  // The unread bytes.
  absl::string_view rest() const { return data_.substr(offset_); }

  // Reads one byte without consuming it.
  bool PeekU8(uint8_t* value) const {
    if (remaining() < 1) return false;
    *value = Byte(0);
    return true;
  }

  bool ReadU8(uint8_t* value) {
    if (!PeekU8(value)) return false;
    offset_ += 1;
    return true;
  }

  // Big-endian (network order) integers, as in JPEG and PNG.
  bool ReadBigEndian16(uint16_t* value) {
    if (remaining() < 2) return false;
    *value = static_cast<uint16_t>(Byte(0) << 8 | Byte(1));
    offset_ += 2;
    return true;
  }

  bool ReadBigEndian32(uint32_t* value) {
    if (remaining() < 4) return false;
    *value = static_cast<uint32_t>(Byte(0)) << 24 |
             static_cast<uint32_t>(Byte(1)) << 16 |
             static_cast<uint32_t>(Byte(2)) << 8 | Byte(3);
    offset_ += 4;
    return true;
  }

  // Little-endian integers, as in GIF and RIFF (WebP).
  bool ReadLittleEndian16(uint16_t* value) {
    if (remaining() < 2) return false;
    *value = static_cast<uint16_t>(Byte(1) << 8 | Byte(0));
    offset_ += 2;
    return true;
  }

  bool ReadLittleEndian24(uint32_t* value) {
    if (remaining() < 3) return false;
    *value = static_cast<uint32_t>(Byte(2)) << 16 |
             static_cast<uint32_t>(Byte(1)) << 8 | Byte(0);
    offset_ += 3;
    return true;
  }

  bool ReadLittleEndian32(uint32_t* value) {
    if (remaining() < 4) return false;
    *value = static_cast<uint32_t>(Byte(3)) << 24 |
             static_cast<uint32_t>(Byte(2)) << 16 |
             static_cast<uint32_t>(Byte(1)) << 8 | Byte(0);
    offset_ += 4;
    return true;
  }

  // Consumes the next `size` bytes; `*bytes` views them (inside the data).
  bool ReadBytes(size_t size, absl::string_view* bytes) {
    if (remaining() < size) return false;
    *bytes = data_.substr(offset_, size);
    offset_ += size;
    return true;
  }

  bool Skip(size_t size) {
    if (remaining() < size) return false;
    offset_ += size;
    return true;
  }

 private:
  // The byte `i` positions past the cursor; callers check the bounds.
  uint8_t Byte(size_t i) const {
    return static_cast<uint8_t>(data_[offset_ + i]);
  }

  absl::string_view data_;
  size_t offset_ = 0;
};

}  // namespace userimage

#endif  // SERVER_IMAGE_BYTE_READER_H_
