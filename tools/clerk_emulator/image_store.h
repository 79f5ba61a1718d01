#ifndef TOOLS_CLERK_EMULATOR_IMAGE_STORE_H_
#define TOOLS_CLERK_EMULATOR_IMAGE_STORE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace clerk::emulator {

struct StoredImage {
  std::string bytes;
  std::string content_type;
};

// In-memory images by id, as a CDN would serve them. Thread-safe; a returned
// image stays valid after it is replaced or cleared.
class ImageStore {
 public:
  void Put(absl::string_view id, StoredImage image);
  // nullptr when `id` is unknown.
  std::shared_ptr<const StoredImage> Get(absl::string_view id) const;
  void Clear();

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const StoredImage>, std::less<>> images_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_IMAGE_STORE_H_
