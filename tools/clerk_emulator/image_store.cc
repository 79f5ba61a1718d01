#include "tools/clerk_emulator/image_store.h"

#include <utility>

namespace clerk::emulator {

void ImageStore::Put(absl::string_view id, StoredImage image) {
  auto stored = std::make_shared<const StoredImage>(std::move(image));
  absl::MutexLock lock(&mu_);
  images_[std::string(id)] = std::move(stored);
}

std::shared_ptr<const StoredImage> ImageStore::Get(absl::string_view id) const {
  absl::MutexLock lock(&mu_);
  auto it = images_.find(id);
  return it == images_.end() ? nullptr : it->second;
}

void ImageStore::Clear() {
  absl::MutexLock lock(&mu_);
  images_.clear();
}

}  // namespace clerk::emulator
