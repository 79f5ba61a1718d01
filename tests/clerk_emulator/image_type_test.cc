#include "tools/clerk_emulator/image_type.h"

#include <string>

#include "gtest/gtest.h"

namespace clerk::emulator {
namespace {

TEST(DetectImageTypeTest, RecognisesSupportedSignatures) {
  EXPECT_EQ(DetectImageType("\xFF\xD8\xFF\xE0rest"), "image/jpeg");
  EXPECT_EQ(DetectImageType("\x89PNG\r\n\x1A\nrest"), "image/png");
  EXPECT_EQ(DetectImageType("GIF87a..."), "image/gif");
  EXPECT_EQ(DetectImageType("GIF89a..."), "image/gif");
  EXPECT_EQ(DetectImageType(std::string("RIFF\x24\x00\x00\x00WEBPVP8 ", 16)),
            "image/webp");
}

TEST(DetectImageTypeTest, RejectsEverythingElse) {
  EXPECT_FALSE(DetectImageType("").has_value());
  EXPECT_FALSE(DetectImageType("hello, world").has_value());
  EXPECT_FALSE(DetectImageType("\xFF\xD8").has_value());     // truncated
  EXPECT_FALSE(DetectImageType("\x89PNG\r\n").has_value());  // truncated
  EXPECT_FALSE(DetectImageType("GIF88a...").has_value());
  EXPECT_FALSE(
      DetectImageType(std::string("RIFF\x24\x00\x00\x00WAVE", 12)).has_value());
  EXPECT_FALSE(DetectImageType("RIFF1234WEB").has_value());  // too short
  EXPECT_FALSE(DetectImageType("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
                   .has_value());
}

}  // namespace
}  // namespace clerk::emulator
