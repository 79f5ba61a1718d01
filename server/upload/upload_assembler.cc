#include "server/upload/upload_assembler.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/image/image_type.h"
#include "server/status/status_details.h"
#include "server/upload/user_id.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::ImageMetadata;
using ::clerk::userimage::v1::UploadProfileImageRequest;

constexpr size_t kMaxFilenameLength = 255;

absl::Status TooLarge(uint64_t size, uint64_t limit, absl::string_view field) {
  return InvalidFieldError(
      field, "IMAGE_TOO_LARGE",
      absl::StrFormat("the image is %s bytes; the limit is %d bytes: send a "
                      "smaller image",
                      size == UINT64_MAX ? "more than " + std::to_string(limit)
                                         : std::to_string(size),
                      limit));
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

UploadAssembler::UploadAssembler(uint64_t max_image_bytes)
    : max_image_bytes_(max_image_bytes),
      bytes_(std::make_shared<std::string>()) {}

UploadAssembler::~UploadAssembler() { EVP_MD_CTX_free(sha256_); }

absl::Status UploadAssembler::Add(const UploadProfileImageRequest& message) {
  switch (message.payload_case()) {
    case UploadProfileImageRequest::kMetadata:
      return AddMetadata(message.metadata());
    case UploadProfileImageRequest::kChunk:
      if (!has_metadata_) {
        return InvalidFieldError(
            "metadata", "METADATA_NOT_FIRST",
            "the first message of the stream must carry metadata (user_id, "
            "filename, content_type); it carried a chunk");
      }
      return AddChunk(message.chunk());
    case UploadProfileImageRequest::PAYLOAD_NOT_SET:
      break;
  }
  return InvalidFieldError(
      "payload", "EMPTY_MESSAGE",
      "a stream message carried neither metadata nor chunk: set one of them");
}

absl::Status UploadAssembler::AddMetadata(const ImageMetadata& metadata) {
  if (has_metadata_) {
    return InvalidFieldError(
        "metadata", "DUPLICATE_METADATA",
        "metadata may only be sent once, in the first message of the stream");
  }
  has_metadata_ = true;
  if (absl::Status s = ValidateUserId(metadata.user_id(), "metadata.user_id");
      !s.ok()) {
    return s;
  }
  if (!metadata.content_type().empty() &&
      !ImageTypeFromMimeType(metadata.content_type())) {
    return InvalidFieldError(
        "metadata.content_type", "UNSUPPORTED_CONTENT_TYPE",
        absl::StrCat("content_type \"", absl::CHexEscape(metadata.content_type()),
                     "\" is not accepted: use image/jpeg, image/png, image/gif "
                     "or image/webp, or leave it empty to detect it"));
  }
  if (metadata.filename().size() > kMaxFilenameLength) {
    return InvalidFieldError(
        "metadata.filename", "FILENAME_TOO_LONG",
        absl::StrFormat("filename is %d bytes long; the limit is %d",
                        metadata.filename().size(), kMaxFilenameLength));
  }
  if (metadata.has_total_size()) {
    if (metadata.total_size() > max_image_bytes_) {
      return TooLarge(metadata.total_size(), max_image_bytes_,
                      "metadata.total_size");
    }
    bytes_->reserve(metadata.total_size());
  }
  if (!metadata.sha256().empty()) {
    if (metadata.sha256().size() != 64 || !IsLowerHex(metadata.sha256())) {
      return InvalidFieldError(
          "metadata.sha256", "INVALID_SHA256",
          "sha256 must be the image's SHA-256 digest as 64 lowercase hex "
          "characters, or empty");
    }
    sha256_ = EVP_MD_CTX_new();
    EVP_DigestInit_ex(sha256_, EVP_sha256(), nullptr);
  }
  metadata_ = metadata;
  return absl::OkStatus();
}

absl::Status UploadAssembler::AddChunk(const std::string& chunk) {
  if (bytes_->size() + chunk.size() > max_image_bytes_) {
    return TooLarge(UINT64_MAX, max_image_bytes_, "chunk");
  }
  if (metadata_.has_total_size() &&
      bytes_->size() + chunk.size() > metadata_.total_size()) {
    return InvalidFieldError(
        "metadata.total_size", "SIZE_MISMATCH",
        absl::StrFormat("more bytes arrived than the declared total_size of "
                        "%d: correct total_size or the data",
                        metadata_.total_size()));
  }
  bytes_->append(chunk);
  received_bytes_ = bytes_->size();
  if (sha256_ != nullptr) {
    EVP_DigestUpdate(sha256_, chunk.data(), chunk.size());
  }
  return absl::OkStatus();
}

absl::StatusOr<AssembledImage> UploadAssembler::Finish() {
  if (!has_metadata_) {
    return InvalidFieldError(
        "metadata", "MISSING_METADATA",
        "the stream ended without any message: send metadata, then the image "
        "bytes");
  }
  if (bytes_->empty()) {
    return InvalidFieldError("chunk", "EMPTY_IMAGE",
                             "the stream carried no image bytes: send the "
                             "image in chunk messages after the metadata");
  }
  if (metadata_.has_total_size() && bytes_->size() != metadata_.total_size()) {
    return InvalidFieldError(
        "metadata.total_size", "SIZE_MISMATCH",
        absl::StrFormat("the stream carried %d bytes but total_size declared "
                        "%d: the upload was incomplete or total_size is wrong",
                        bytes_->size(), metadata_.total_size()));
  }
  if (sha256_ != nullptr) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(sha256_, digest, &length);
    std::string hex = absl::BytesToHexString(absl::string_view(
        reinterpret_cast<const char*>(digest), length));
    if (hex != metadata_.sha256()) {
      absl::Status status = InvalidFieldError(
          "metadata.sha256", "DIGEST_MISMATCH",
          absl::StrCat("the image's SHA-256 is ", hex, " but metadata.sha256 "
                       "declared ", metadata_.sha256(),
                       ": the bytes were corrupted or the digest is wrong"));
      return status;
    }
  }
  std::optional<ImageType> detected = SniffImageType(*bytes_);
  if (!detected) {
    return InvalidFieldError(
        "chunk", "UNSUPPORTED_IMAGE",
        "the bytes are not a JPEG, PNG, GIF or WebP image: send one of "
        "those");
  }
  if (!metadata_.content_type().empty() &&
      ImageTypeFromMimeType(metadata_.content_type()) != detected) {
    return InvalidFieldError(
        "metadata.content_type", "CONTENT_TYPE_MISMATCH",
        absl::StrCat("content_type is ", metadata_.content_type(),
                     " but the bytes are ", MimeType(*detected),
                     ": correct content_type or leave it empty"));
  }
  AssembledImage image;
  image.user_id = metadata_.user_id();
  image.filename = metadata_.filename().empty()
                       ? absl::StrCat("image", FileExtension(*detected))
                       : metadata_.filename();
  image.content_type = std::string(MimeType(*detected));
  image.bytes = std::move(bytes_);
  return image;
}

}  // namespace userimage
