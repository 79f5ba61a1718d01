#ifndef SERVER_IMAGE_GIF_BLOCKS_H_
#define SERVER_IMAGE_GIF_BLOCKS_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// One block of a GIF file, viewed in place in the file's bytes.
struct GifBlock {
  enum class Kind {
    // Signature, logical screen descriptor and global colour table.
    kHeader,
    // Image descriptor, local colour table and image data.
    kImage,
    // Extension: introducer, label and data sub-blocks.
    kExtension,
    // The trailer byte (0x3B).
    kTrailer,
  };
  Kind kind = Kind::kHeader;
  // The whole block as stored, including its sub-blocks and terminator.
  absl::string_view bytes;
  // kHeader: the logical screen size. kImage: the frame's position and size
  // on the logical screen. Zero otherwise.
  uint32_t left = 0;
  uint32_t top = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  // kExtension: its label (0xF9 graphic control, 0xFE comment, 0xFF
  // application, 0x01 plain text) and the data of its first sub-block (for
  // an application extension, the identifier and authentication code).
  uint8_t label = 0;
  absl::string_view first_sub_block;
};

// GIF extension labels.
namespace gif_label {
inline constexpr uint8_t kPlainText = 0x01;
inline constexpr uint8_t kGraphicControl = 0xF9;
inline constexpr uint8_t kComment = 0xFE;
inline constexpr uint8_t kApplication = 0xFF;
}  // namespace gif_label

// Walks the blocks of a GIF (87a or 89a) file without decoding it: header,
// then images and extensions (their data sub-blocks skipped by their
// lengths), until the trailer. Errors: a bad signature, an unknown block
// introducer, or a block that runs past the end of the data. A file that
// ends right after a block without the trailer ends the walk normally
// (decoders show such files).
//
// Borrows `gif`, which must outlive the reader and the blocks it returns.
// Not thread-safe.
class GifBlockReader {
 public:
  explicit GifBlockReader(absl::string_view gif) : gif_(gif) {}

  // The next block (the first is kHeader), nullopt after the trailer or at
  // the end of the data, or INVALID_ARGUMENT saying what is wrong with the
  // file. After an error or nullopt, every further call returns the same.
  absl::StatusOr<std::optional<GifBlock>> Next();

  // The bytes after the trailer, once Next() returned nullopt.
  absl::string_view trailing_data() const;

 private:
  enum class State { kStart, kBlocks, kDone, kFailed };

  absl::StatusOr<std::optional<GifBlock>> ReadHeader();
  absl::StatusOr<std::optional<GifBlock>> Fail(absl::Status status);

  absl::string_view gif_;
  size_t offset_ = 0;
  State state_ = State::kStart;
  absl::Status error_;
};

}  // namespace userimage

#endif  // SERVER_IMAGE_GIF_BLOCKS_H_
