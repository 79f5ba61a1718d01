#ifndef SERVER_UPLOAD_UPLOAD_ASSEMBLER_H_
#define SERVER_UPLOAD_UPLOAD_ASSEMBLER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clerk/userimage/v1/user_image_service.pb.h"
#include "openssl/evp.h"

namespace userimage {

// A complete, validated image ready to send to Clerk.
struct AssembledImage {
  std::string user_id;
  std::string filename;
  std::string content_type;
  // Shared so that an HTTP transfer can read it without copying and keep it
  // alive for as long as it needs.
  std::shared_ptr<const std::string> bytes;
};

// Turns the messages of one UploadProfileImage stream into an
// AssembledImage, enforcing the stream contract documented in
// user_image_service.proto: metadata first and once, then chunks; a size
// limit checked as bytes arrive; a non-empty image of an accepted type
// matching the declared content type, total size and SHA-256.
//
// Pure (no I/O, no gRPC). Every error is an absl::Status whose message says
// what the caller must fix, with BadRequest/ErrorInfo details. After an
// error the assembler must not be used again. Not thread-safe: one stream,
// one assembler.
class UploadAssembler {
 public:
  explicit UploadAssembler(uint64_t max_image_bytes);
  ~UploadAssembler();
  UploadAssembler(const UploadAssembler&) = delete;
  UploadAssembler& operator=(const UploadAssembler&) = delete;

  // Consumes the next message of the stream.
  absl::Status Add(const clerk::userimage::v1::UploadProfileImageRequest& message);

  // Called once the caller has half-closed the stream: validates the whole
  // image and hands it over.
  absl::StatusOr<AssembledImage> Finish();

  // Image bytes received so far.
  uint64_t received_bytes() const { return received_bytes_; }

 private:
  absl::Status AddMetadata(const clerk::userimage::v1::ImageMetadata& metadata);
  absl::Status AddChunk(const std::string& chunk);

  const uint64_t max_image_bytes_;
  bool has_metadata_ = false;
  clerk::userimage::v1::ImageMetadata metadata_;
  std::shared_ptr<std::string> bytes_;  // Handed over by Finish().
  uint64_t received_bytes_ = 0;
  EVP_MD_CTX* sha256_ = nullptr;  // Owned; set when the caller sent a digest.
};

}  // namespace userimage

#endif  // SERVER_UPLOAD_UPLOAD_ASSEMBLER_H_
