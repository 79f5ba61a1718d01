#include "server/image/image_errors.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

using ::testing::HasSubstr;

TEST(ImageErrorsTest, SayWhatIsWrongAndWhatToDo) {
  absl::Status truncated = TruncatedImageError("PNG", "it ends early");
  EXPECT_EQ(truncated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(truncated.message(),
            "the PNG is truncated: it ends early; upload the complete file");

  absl::Status damaged = DamagedImageError("JPEG", "byte 3 is wrong");
  EXPECT_EQ(damaged.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(damaged.message(),
              HasSubstr("the JPEG is damaged: byte 3 is wrong; re-save"));

  absl::Status unsupported = UnsupportedImageError("GIF", "it is odd");
  EXPECT_EQ(unsupported.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unsupported.message(),
              HasSubstr("the GIF is not supported: it is odd; convert"));
}

}  // namespace
}  // namespace userimage
