#ifndef SERVER_UPLOAD_UPLOAD_ASSEMBLER_H_
#define SERVER_UPLOAD_UPLOAD_ASSEMBLER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clerk/userimage/v1/user_image_service.pb.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "openssl/evp.h"
#include "server/image/assembled_image.h"
#include "server/image/convertible_image.h"
#include "server/image/dimension_limits.h"
#include "server/upload/memory_budget.h"

namespace userimage {

// What is checked and changed in an image, beyond its type and size.
struct ImagePolicy {
  // Refuse images whose header declares more than this (decompression
  // bombs), read from the header without decoding.
  DimensionLimits limits;
  // Remove metadata (EXIF incl. GPS position, XMP, comments) by rewriting
  // the container, without re-encoding pixels.
  bool strip_metadata = true;
  // Normalize workers are available: HEIC/HEIF, AVIF and TIFF are accepted
  // (checked from their headers where they declare a size, and handed over
  // with needs_normalization), and so is scaling.
  bool convert = false;
  // With `convert`: a JPEG, PNG, GIF or WebP whose longer side is over this
  // is handed over with needs_normalization (to be scaled); 0: never.
  uint32_t max_side_px = 0;
};

// Turns the messages of one UploadProfileImage stream into an
// AssembledImage, enforcing the stream contract documented in
// user_image_service.proto: metadata first and once, then chunks; a size
// limit checked as bytes arrive; a non-empty image of an accepted type
// matching the declared content type, total size and SHA-256, whose header
// is well-formed and within ImagePolicy's dimension limits. Finish() then
// strips metadata (per the policy) and reduces the filename to a safe base
// name with the right extension.
//
// Image bytes are copied once, from the serialized message straight into
// one buffer (sized once from total_size when the caller declares it),
// whose capacity is reserved from the process-wide MemoryBudget, twice over
// when metadata is stripped (the stripped copy exists beside the original
// for a moment); an upload the budget cannot hold fails with
// RESOURCE_EXHAUSTED and a RetryInfo as it grows, never once complete.
// After Finish() only the image's own capacity stays reserved.
//
// Pure (no I/O, no gRPC). Every error is an absl::Status whose message says
// what the caller must fix, with BadRequest/ErrorInfo details. After an
// error the assembler must not be used again. Not thread-safe: one stream,
// one assembler. Borrows `budget`, which must outlive the image.
class UploadAssembler {
 public:
  UploadAssembler(uint64_t max_image_bytes, MemoryBudget& budget,
                  ImagePolicy policy = {});
  ~UploadAssembler();
  UploadAssembler(const UploadAssembler&) = delete;
  UploadAssembler& operator=(const UploadAssembler&) = delete;

  // Consumes the next message of the stream in its wire form (as gRPC
  // received it), copying chunk bytes directly into the image buffer.
  // `size` is the message's length: a field that declares more bytes than
  // are left in it is refused before anything is allocated.
  absl::Status AddSerialized(google::protobuf::io::ZeroCopyInputStream& in,
                             size_t size);

  // The same for a parsed message.
  absl::Status Add(
      const clerk::userimage::v1::UploadProfileImageRequest& message);

  // Called once the caller has half-closed the stream: validates the whole
  // image and hands it over.
  absl::StatusOr<AssembledImage> Finish();

  // The filename of accepted metadata, as sent; empty before.
  const std::string& filename() const { return metadata_.filename(); }
  // The user id of accepted metadata; empty before.
  const std::string& user_id() const { return metadata_.user_id(); }
  // The read_mask of accepted metadata; empty before.
  const google::protobuf::FieldMask& read_mask() const {
    return metadata_.read_mask();
  }
  // The priority of accepted metadata; unset before.
  clerk::userimage::v1::Priority priority() const {
    return metadata_.priority();
  }

  // Image bytes received so far.
  uint64_t received_bytes() const { return received_bytes_; }

 private:
  // The image bytes and their claim on the memory budget.
  struct Buffer {
    std::string bytes;
    MemoryBudget::Reservation reservation;
  };

  absl::Status AddMetadata(const clerk::userimage::v1::ImageMetadata& metadata);
  // Appends `size` bytes with `append` (which returns false if it could
  // not) into room Grow() reserved, so nothing is reallocated or
  // zero-filled.
  absl::Status AddChunk(size_t size,
                        absl::FunctionRef<bool(std::string&)> append);
  // Finish() for an image that is not one of Clerk's types.
  absl::StatusOr<AssembledImage> FinishConvertible();
  // Moves the bytes into an AssembledImage of `type` (nullopt: a format to
  // convert, whose type the worker decides).
  AssembledImage HandOver(std::optional<ImageType> type,
                          bool needs_normalization);
  // What the policy accepts, for error messages.
  std::string AcceptedTypes() const;
  std::string AcceptedFormats() const;
  std::optional<ConvertibleFormat> ConvertibleFromMimeType(
      absl::string_view mime_type) const;
  // Makes room for `size` more bytes within the budget.
  absl::Status Grow(size_t size);
  // Replaces the bytes by their copy without metadata (whose room Grow()
  // reserved), then gives back what the image no longer needs.
  absl::Status Strip();

  const uint64_t max_image_bytes_;
  const ImagePolicy policy_;
  bool has_metadata_ = false;
  clerk::userimage::v1::ImageMetadata metadata_;
  std::shared_ptr<Buffer> buffer_;  // Handed over by Finish().
  uint64_t received_bytes_ = 0;
  struct DigestFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  // Set when the caller sent a digest.
  std::unique_ptr<EVP_MD_CTX, DigestFree> sha256_;
};

}  // namespace userimage

#endif  // SERVER_UPLOAD_UPLOAD_ASSEMBLER_H_
