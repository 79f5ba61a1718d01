#ifndef SERVER_IMAGE_ASSEMBLED_IMAGE_H_
#define SERVER_IMAGE_ASSEMBLED_IMAGE_H_

#include <memory>
#include <optional>
#include <string>

#include "server/image/image_type.h"

namespace userimage {

// A complete, validated image (what UploadAssembler produces): ready to
// send to Clerk (what ClerkClient sends) unless needs_normalization. A
// plain value.
struct AssembledImage {
  std::string user_id;
  std::string filename;
  std::string content_type;
  // Shared so that an HTTP transfer can read it without copying and keep it
  // alive for as long as it needs. Holds its MemoryBudget reservation: the
  // bytes count against the budget until the last reference is gone.
  std::shared_ptr<const std::string> bytes;
  // The image must first go through the NormalizerPool (a format to
  // convert, or one to scale): `filename` and `content_type` are then empty
  // for a format to convert, and the pool's result replaces the bytes.
  bool needs_normalization = false;
  // With needs_normalization: the type to keep (an image only scaled);
  // nullopt for a format to convert.
  std::optional<ImageType> keep_type;
};

}  // namespace userimage

#endif  // SERVER_IMAGE_ASSEMBLED_IMAGE_H_
