#ifndef SERVER_IMAGE_ASSEMBLED_IMAGE_H_
#define SERVER_IMAGE_ASSEMBLED_IMAGE_H_

#include <memory>
#include <string>

namespace userimage {

// A complete, validated image ready to send to Clerk (what
// UploadAssembler produces and ClerkClient sends). A plain value.
struct AssembledImage {
  std::string user_id;
  std::string filename;
  std::string content_type;
  // Shared so that an HTTP transfer can read it without copying and keep it
  // alive for as long as it needs. Holds its MemoryBudget reservation: the
  // bytes count against the budget until the last reference is gone.
  std::shared_ptr<const std::string> bytes;
};

}  // namespace userimage

#endif  // SERVER_IMAGE_ASSEMBLED_IMAGE_H_
