// Proves that StripMetadata leaves pixels untouched, with an independent
// decoder: ImageMagick's `identify -format '%#'` prints a SHA-256 signature
// of each frame's decoded pixels, which must be the same before and after
// stripping. ImageMagick also reads the metadata, so the test checks that
// it finds the GPS position and comments before stripping and not after.
// Skipped when ImageMagick is not installed (tools/setup.sh installs it).

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "server/image/strip_metadata.h"
#include "tests/image/test_images.h"

namespace userimage {
namespace {

using test_images::ReadTestdata;

// The identify binary: Debian's, else whatever PATH has.
std::string IdentifyBinary() {
  if (access("/usr/bin/identify", X_OK) == 0) return "/usr/bin/identify";
  FILE* pipe = popen("command -v identify 2>/dev/null", "r");
  if (pipe == nullptr) return "";
  char line[4096] = {};
  const bool found = fgets(line, sizeof(line), pipe) != nullptr;
  pclose(pipe);
  std::string path = found ? line : "";
  while (!path.empty() && path.back() == '\n') path.pop_back();
  return path;
}

// Runs `identify -format <format> <path>` and returns what it prints on
// stdout (ImageMagick's warnings on stderr are discarded).
absl::StatusOr<std::string> Identify(const std::string& path,
                                     const std::string& format) {
  const std::string command = absl::StrCat(
      IdentifyBinary(), " -format '", format, "' '", path, "' 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen failed");
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (status != 0) {
    return absl::InternalError(
        absl::StrCat(command, " exited with status ", status, ": ", output));
  }
  return output;
}

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

bool IsSignatureList(const std::string& signatures, size_t frames) {
  std::vector<std::string> lines =
      absl::StrSplit(signatures, '\n', absl::SkipEmpty());
  if (lines.size() != frames) return false;
  for (const std::string& line : lines) {
    if (line.size() != 64) return false;
    for (char c : line) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
  }
  return true;
}

class PixelIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (IdentifyBinary().empty()) {
      GTEST_SKIP() << "ImageMagick's identify is not installed; "
                      "tools/setup.sh installs it (Debian package "
                      "imagemagick)";
    }
  }
};

struct Fixture {
  std::string name;
  size_t frames;
};

TEST_F(PixelIdentityTest, StrippingKeepsEveryPixel) {
  const std::vector<Fixture> fixtures = {
      {"photo_gps.jpg", 1},  {"photo_gps_rotated.jpg", 1}, {"photo_gps.png", 1},
      {"photo_gps.webp", 1}, {"animated_comment.gif", 3},  {"animated.webp", 2},
  };
  for (const Fixture& fixture : fixtures) {
    SCOPED_TRACE(fixture.name);
    const std::string original = ReadTestdata(fixture.name);
    absl::StatusOr<std::string> stripped = StripMetadata(original);
    ASSERT_TRUE(stripped.ok()) << stripped.status();
    ASSERT_NE(*stripped, original) << "the fixture has metadata to strip";
    const std::string before_path =
        WriteTemp(absl::StrCat("before_", fixture.name), original);
    const std::string after_path =
        WriteTemp(absl::StrCat("after_", fixture.name), *stripped);
    absl::StatusOr<std::string> before = Identify(before_path, "%#\\n");
    absl::StatusOr<std::string> after = Identify(after_path, "%#\\n");
    ASSERT_TRUE(before.ok()) << before.status();
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_TRUE(IsSignatureList(*before, fixture.frames)) << *before;
    EXPECT_EQ(*after, *before);
    absl::StatusOr<std::string> geometry =
        Identify(after_path, "%wx%h %[scenes]\\n");
    ASSERT_TRUE(geometry.ok()) << geometry.status();
    EXPECT_FALSE(geometry->empty());
  }
}

TEST_F(PixelIdentityTest, ImageMagickNoLongerFindsTheMetadata) {
  struct Property {
    std::string fixture;
    std::string format;
    std::string before;
    std::string after;
  };
  const std::vector<Property> properties = {
      {"photo_gps.jpg", "[%[EXIF:GPSLatitude]]", "[37/1, 46/1, 2999/100]",
       "[]"},
      {"photo_gps.jpg", "[%c]", "[secret comment: taken at home]", "[]"},
      {"photo_gps.jpg", "[%[orientation]]", "[TopLeft]", "[Undefined]"},
      // The orientation survives stripping: browsers need it.
      {"photo_gps_rotated.jpg", "[%[orientation]]", "[RightTop]", "[RightTop]"},
      {"photo_gps_rotated.jpg", "[%[EXIF:GPSLatitude]]",
       "[37/1, 46/1, 2999/100]", "[]"},
      {"photo_gps.png", "[%c]", "[secret comment: taken at home]", "[]"},
      {"animated_comment.gif", "[%c]", "[secret comment: taken at home][][]",
       "[][][]"},
  };
  for (const Property& property : properties) {
    SCOPED_TRACE(absl::StrCat(property.fixture, " ", property.format));
    const std::string original = ReadTestdata(property.fixture);
    absl::StatusOr<std::string> stripped = StripMetadata(original);
    ASSERT_TRUE(stripped.ok()) << stripped.status();
    absl::StatusOr<std::string> before =
        Identify(WriteTemp(absl::StrCat("before_", property.fixture), original),
                 property.format);
    absl::StatusOr<std::string> after =
        Identify(WriteTemp(absl::StrCat("after_", property.fixture), *stripped),
                 property.format);
    ASSERT_TRUE(before.ok()) << before.status();
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(*before, property.before);
    EXPECT_EQ(*after, property.after);
  }
}

}  // namespace
}  // namespace userimage
