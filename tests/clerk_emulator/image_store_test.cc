#include "tools/clerk_emulator/image_store.h"

#include <memory>

#include "gtest/gtest.h"

namespace clerk::emulator {
namespace {

TEST(ImageStoreTest, StoresAndClears) {
  ImageStore store;
  EXPECT_EQ(store.Get("img_1"), nullptr);
  store.Put("img_1", {"bytes", "image/png"});
  const std::shared_ptr<const StoredImage> image = store.Get("img_1");
  ASSERT_NE(image, nullptr);
  EXPECT_EQ(image->bytes, "bytes");
  EXPECT_EQ(image->content_type, "image/png");

  store.Clear();
  EXPECT_EQ(store.Get("img_1"), nullptr);
  EXPECT_EQ(image->bytes, "bytes");  // still held by the caller
}

TEST(ImageStoreTest, PutReplaces) {
  ImageStore store;
  store.Put("img_1", {"old", "image/gif"});
  store.Put("img_1", {"new", "image/webp"});
  EXPECT_EQ(store.Get("img_1")->bytes, "new");
  EXPECT_EQ(store.Get("img_1")->content_type, "image/webp");
}

}  // namespace
}  // namespace clerk::emulator
