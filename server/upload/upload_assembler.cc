#include "server/upload/upload_assembler.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "google/rpc/error_details.pb.h"
#include "server/clerk/user_id.h"
#include "server/image/convertible_image.h"
#include "server/image/image_info.h"
#include "server/image/image_type.h"
#include "server/image/safe_filename.h"
#include "server/image/strip_metadata.h"
#include "server/status/status_details.h"

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

absl::Status EmptyMessage() {
  return InvalidFieldError(
      "payload", "EMPTY_MESSAGE",
      "a stream message carried neither metadata nor chunk: set one of them");
}

absl::Status MalformedMessage() {
  return InvalidFieldError("payload", "MALFORMED_MESSAGE",
                           "a stream message is not a valid serialized "
                           "UploadProfileImageRequest");
}

// Appends the next `length` bytes of `coded` to `bytes` straight from the
// stream's buffers (gRPC's slices): one copy, and no zero-filling of room
// that is overwritten at once, as resize() and ReadRaw() would do.
bool AppendRaw(google::protobuf::io::CodedInputStream& coded, size_t length,
               std::string& bytes) {
  while (length > 0) {
    const void* data = nullptr;
    int available = 0;
    if (!coded.GetDirectBufferPointer(&data, &available)) return false;
    const size_t take = std::min<size_t>(length, available);
    bytes.append(static_cast<const char*>(data), take);
    coded.Skip(static_cast<int>(take));
    length -= take;
  }
  return true;
}

}  // namespace

UploadAssembler::UploadAssembler(uint64_t max_image_bytes, MemoryBudget& budget,
                                 ImagePolicy policy)
    : max_image_bytes_(max_image_bytes),
      policy_(policy),
      buffer_(std::make_shared<Buffer>()) {
  buffer_->reservation = budget.Open();
}

UploadAssembler::~UploadAssembler() = default;

absl::Status UploadAssembler::AddSerialized(
    google::protobuf::io::ZeroCopyInputStream& in, size_t size) {
  using ::google::protobuf::internal::WireFormatLite;
  if (size > INT_MAX) return MalformedMessage();
  google::protobuf::io::CodedInputStream coded(&in);
  coded.SetTotalBytesLimit(INT_MAX);
  coded.PushLimit(static_cast<int>(size));  // Not popped: it is the end.
  int payloads = 0;
  while (const uint32_t tag = coded.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    if ((field != UploadProfileImageRequest::kMetadataFieldNumber &&
         field != UploadProfileImageRequest::kChunkFieldNumber) ||
        WireFormatLite::GetTagWireType(tag) !=
            WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::SkipField(&coded, tag)) return MalformedMessage();
      continue;
    }
    if (++payloads > 1) {
      return InvalidFieldError(
          "payload", "MULTIPLE_PAYLOADS",
          "a stream message carried more than one of metadata and chunk: "
          "send exactly one per message");
    }
    uint32_t length = 0;
    if (!coded.ReadVarint32(&length)) return MalformedMessage();
    if (length > static_cast<uint32_t>(coded.BytesUntilLimit())) {
      return InvalidFieldError(
          "payload", "MALFORMED_MESSAGE",
          absl::StrFormat("a stream message declares a %d-byte field but only "
                          "%d bytes follow: send whole messages",
                          length, coded.BytesUntilLimit()));
    }
    absl::Status status;
    if (field == UploadProfileImageRequest::kMetadataFieldNumber) {
      const auto limit = coded.PushLimit(static_cast<int>(length));
      ImageMetadata metadata;
      if (!metadata.ParseFromCodedStream(&coded)) return MalformedMessage();
      coded.PopLimit(limit);
      status = AddMetadata(metadata);
    } else {
      status = AddChunk(length, [&coded, length](std::string& bytes) {
        return AppendRaw(coded, length, bytes);
      });
    }
    if (!status.ok()) return status;
  }
  if (!coded.ConsumedEntireMessage()) return MalformedMessage();
  return payloads == 0 ? EmptyMessage() : absl::OkStatus();
}

absl::Status UploadAssembler::Add(const UploadProfileImageRequest& message) {
  switch (message.payload_case()) {
    case UploadProfileImageRequest::kMetadata:
      return AddMetadata(message.metadata());
    case UploadProfileImageRequest::kChunk: {
      const std::string& chunk = message.chunk();
      return AddChunk(chunk.size(), [&chunk](std::string& bytes) {
        bytes.append(chunk);
        return true;
      });
    }
    case UploadProfileImageRequest::PAYLOAD_NOT_SET:
      break;
  }
  return EmptyMessage();
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
      !ImageTypeFromMimeType(metadata.content_type()) &&
      !ConvertibleFromMimeType(metadata.content_type())) {
    return InvalidFieldError(
        "metadata.content_type", "UNSUPPORTED_CONTENT_TYPE",
        absl::StrCat("content_type \"",
                     absl::CHexEscape(metadata.content_type()),
                     "\" is not accepted: use ", AcceptedTypes(),
                     ", or leave it empty to detect it"));
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
    if (absl::Status s = Grow(metadata.total_size()); !s.ok()) return s;
  }
  if (!metadata.sha256().empty()) {
    if (metadata.sha256().size() != 64 || !IsLowerHex(metadata.sha256())) {
      return InvalidFieldError(
          "metadata.sha256", "INVALID_SHA256",
          "sha256 must be the image's SHA-256 digest as 64 lowercase hex "
          "characters, or empty");
    }
    sha256_.reset(EVP_MD_CTX_new());
    EVP_DigestInit_ex(sha256_.get(), EVP_sha256(), nullptr);
  }
  metadata_ = metadata;
  return absl::OkStatus();
}

absl::Status UploadAssembler::Strip() {
  // An image with nothing to strip is not copied. A stripped copy is never
  // larger than the original; Grow() reserved room for both.
  absl::StatusOr<bool> stripped = StripMetadataFrom(buffer_->bytes);
  if (!stripped.ok()) {
    return InvalidFieldError("chunk", "MALFORMED_IMAGE",
                             stripped.status().message());
  }
  // Only what the image now holds stays counted (shrinking cannot fail).
  buffer_->reservation.Resize(buffer_->bytes.capacity());
  return absl::OkStatus();
}

absl::Status UploadAssembler::Grow(size_t size) {
  std::string& bytes = buffer_->bytes;
  const uint64_t needed = bytes.size() + size;
  if (needed <= bytes.capacity()) return absl::OkStatus();
  // Double as a string would, but within the image limit and the budget.
  uint64_t target = std::max<uint64_t>(
      needed, std::min<uint64_t>(max_image_bytes_, 2 * bytes.capacity()));
  // Stripping makes a copy at the end: room for it is reserved up front, so
  // an upload admitted is never refused for memory once it is complete.
  const uint64_t copies = policy_.strip_metadata ? 2 : 1;
  MemoryBudget::Reservation& reservation = buffer_->reservation;
  if (!reservation.Resize(target * copies)) {
    target = needed;
    if (!reservation.Resize(target * copies)) {
      return MemoryBudgetExhausted();
    }
  }
  bytes.reserve(target);
  return absl::OkStatus();
}

absl::Status UploadAssembler::AddChunk(
    size_t size, absl::FunctionRef<bool(std::string&)> append) {
  if (!has_metadata_) {
    return InvalidFieldError(
        "metadata", "METADATA_NOT_FIRST",
        "the first message of the stream must carry metadata (user_id, "
        "filename, content_type); it carried a chunk");
  }
  std::string& bytes = buffer_->bytes;
  if (bytes.size() + size > max_image_bytes_) {
    return TooLarge(UINT64_MAX, max_image_bytes_, "chunk");
  }
  if (metadata_.has_total_size() &&
      bytes.size() + size > metadata_.total_size()) {
    return InvalidFieldError(
        "metadata.total_size", "SIZE_MISMATCH",
        absl::StrFormat("more bytes arrived than the declared total_size of "
                        "%d: correct total_size or the data",
                        metadata_.total_size()));
  }
  if (absl::Status s = Grow(size); !s.ok()) return s;
  const size_t offset = bytes.size();
  if (!append(bytes) || bytes.size() != offset + size) {
    bytes.resize(offset);
    return MalformedMessage();
  }
  if (sha256_ != nullptr) {
    EVP_DigestUpdate(sha256_.get(), bytes.data() + offset, size);
  }
  received_bytes_ = bytes.size();
  return absl::OkStatus();
}

absl::StatusOr<AssembledImage> UploadAssembler::Finish() {
  if (!has_metadata_) {
    return InvalidFieldError(
        "metadata", "MISSING_METADATA",
        "the stream ended without any message: send metadata, then the image "
        "bytes");
  }
  const std::string& bytes = buffer_->bytes;
  if (bytes.empty()) {
    return InvalidFieldError("chunk", "EMPTY_IMAGE",
                             "the stream carried no image bytes: send the "
                             "image in chunk messages after the metadata");
  }
  if (metadata_.has_total_size() && bytes.size() != metadata_.total_size()) {
    return InvalidFieldError(
        "metadata.total_size", "SIZE_MISMATCH",
        absl::StrFormat("the stream carried %d bytes but total_size declared "
                        "%d: the upload was incomplete or total_size is wrong",
                        bytes.size(), metadata_.total_size()));
  }
  if (sha256_ != nullptr) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(sha256_.get(), digest, &length);
    std::string hex = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(digest), length));
    if (hex != metadata_.sha256()) {
      absl::Status status = InvalidFieldError(
          "metadata.sha256", "DIGEST_MISMATCH",
          absl::StrCat("the image's SHA-256 is ", hex,
                       " but metadata.sha256 "
                       "declared ",
                       metadata_.sha256(),
                       ": the bytes were corrupted or the digest is wrong"));
      return status;
    }
  }
  std::optional<ImageType> detected = SniffImageType(bytes);
  if (!detected) return FinishConvertible();
  if (!metadata_.content_type().empty() &&
      ImageTypeFromMimeType(metadata_.content_type()) != detected) {
    return InvalidFieldError(
        "metadata.content_type", "CONTENT_TYPE_MISMATCH",
        absl::StrCat("content_type is ", metadata_.content_type(),
                     " but the bytes are ", MimeType(*detected),
                     ": correct content_type or leave it empty"));
  }
  absl::StatusOr<ImageInfo> info = InspectImage(bytes);
  if (!info.ok()) {
    return InvalidFieldError("chunk", "MALFORMED_IMAGE",
                             info.status().message());
  }
  if (absl::Status s = CheckDimensions(*info, policy_.limits); !s.ok()) {
    return InvalidFieldError("chunk", "IMAGE_DIMENSIONS", s.message());
  }
  if (policy_.convert && policy_.max_side_px > 0 &&
      std::max(info->width, info->height) > policy_.max_side_px) {
    // Scaled (and so re-encoded without metadata) by a worker.
    return HandOver(*detected, /*needs_normalization=*/true);
  }
  if (policy_.strip_metadata) {
    if (absl::Status s = Strip(); !s.ok()) return s;
  }
  return HandOver(*detected, /*needs_normalization=*/false);
}

absl::StatusOr<AssembledImage> UploadAssembler::FinishConvertible() {
  const std::string& bytes = buffer_->bytes;
  const std::optional<ConvertibleFormat> format =
      policy_.convert ? SniffConvertibleFormat(bytes) : std::nullopt;
  if (!format) {
    return InvalidFieldError(
        "chunk", "UNSUPPORTED_IMAGE",
        absl::StrCat("the bytes are not a ", AcceptedFormats(),
                     " image: send one of those"));
  }
  if (!metadata_.content_type().empty() &&
      !MimeTypeNames(*format, metadata_.content_type())) {
    return InvalidFieldError(
        "metadata.content_type", "CONTENT_TYPE_MISMATCH",
        absl::StrCat("content_type is ", metadata_.content_type(),
                     " but the bytes are ", FormatName(*format),
                     ": correct content_type or leave it empty"));
  }
  if (*format != ConvertibleFormat::kTiff) {
    // TIFF's size is read by the worker from its header, before decoding.
    absl::StatusOr<ImageInfo> info = InspectHeifExtent(bytes);
    if (!info.ok()) {
      return InvalidFieldError("chunk", "MALFORMED_IMAGE",
                               info.status().message());
    }
    if (absl::Status s = CheckDimensions(*info, policy_.limits); !s.ok()) {
      return InvalidFieldError("chunk", "IMAGE_DIMENSIONS", s.message());
    }
  }
  return HandOver(std::nullopt, /*needs_normalization=*/true);
}

std::string UploadAssembler::AcceptedTypes() const {
  return policy_.convert ? "image/jpeg, image/png, image/gif, image/webp, "
                           "image/heic, image/heif, image/avif or image/tiff"
                         : "image/jpeg, image/png, image/gif or image/webp";
}

std::string UploadAssembler::AcceptedFormats() const {
  return policy_.convert ? "JPEG, PNG, GIF, WebP, HEIC/HEIF, AVIF or TIFF"
                         : "JPEG, PNG, GIF or WebP";
}

std::optional<ConvertibleFormat> UploadAssembler::ConvertibleFromMimeType(
    absl::string_view mime_type) const {
  if (!policy_.convert) return std::nullopt;
  for (ConvertibleFormat format :
       {ConvertibleFormat::kHeif, ConvertibleFormat::kAvif,
        ConvertibleFormat::kTiff}) {
    if (MimeTypeNames(format, mime_type)) return format;
  }
  return std::nullopt;
}

AssembledImage UploadAssembler::HandOver(std::optional<ImageType> type,
                                         bool needs_normalization) {
  AssembledImage image;
  image.user_id = metadata_.user_id();
  if (type) {
    image.filename = SafeFilename(metadata_.filename(), *type);
    image.content_type = std::string(MimeType(*type));
  }
  image.needs_normalization = needs_normalization;
  image.keep_type = needs_normalization ? type : std::nullopt;
  if (needs_normalization) {
    // No stripped copy will be made (shrinking cannot fail).
    buffer_->reservation.Resize(buffer_->bytes.capacity());
  }
  // The reservation travels with the bytes (aliasing shared_ptr).
  image.bytes = std::shared_ptr<const std::string>(buffer_, &buffer_->bytes);
  buffer_.reset();
  return image;
}

}  // namespace userimage
