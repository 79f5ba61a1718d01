#include "tests/normalize/test_photos.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

std::string Run(const std::string& command) {
  absl::StatusOr<std::string> out =
      RunCommand(command, "", TestTempPath("test_photos.log"));
  EXPECT_TRUE(out.ok()) << command << ": " << out.status();
  return out.value_or("");
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

std::string MakePhoto(const std::string& format, int width, int height,
                      int orientation) {
  const std::string path = TestTempPath(absl::StrCat(
      "photo_", width, "x", height, "_", orientation, ".", format));
  Run(absl::StrCat("convert -size ", width, "x", height,
                   " xc:white -fill black -draw 'rectangle 0,0 ", width / 2 - 1,
                   ",", height - 1, "' -quality 60 ", path));
  if (orientation != 0) {
    Run(absl::StrCat(
        "exiftool -q -overwrite_original -n -Orientation=", orientation,
        " -GPSLatitude=48.8584 -GPSLatitudeRef=N "
        "-GPSLongitude=2.2945 -GPSLongitudeRef=E ",
        path));
  }
  return Slurp(path);
}

std::string MakeTransparent(const std::string& format, int width, int height) {
  const std::string path = TestTempPath(
      absl::StrCat("transparent_", width, "x", height, ".", format));
  Run(absl::StrCat("convert -size ", width, "x", height,
                   " xc:none -fill red -draw 'circle ", width / 2, ",",
                   height / 2, " ", width / 2, ",1' ", path));
  return Slurp(path);
}

}  // namespace userimage
