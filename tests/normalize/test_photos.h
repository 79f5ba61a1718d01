#ifndef TESTS_NORMALIZE_TEST_PHOTOS_H_
#define TESTS_NORMALIZE_TEST_PHOTOS_H_

#include <string>

namespace userimage {

// Test images made with ImageMagick (and exiftool), in the test's
// temporary directory. Each returns the file's bytes, or "" with a test
// failure recorded.

// A photo `width`×`height` as stored, dark on the left half and light on
// the right, in `format` ("heic", "avif", "tiff", "png", "jpg"...), with
// `orientation` (1–8) and a GPS position in its EXIF when orientation is
// not 0.
std::string MakePhoto(const std::string& format, int width, int height,
                      int orientation = 0);

// A `width`×`height` image with a transparent background, as `format`.
std::string MakeTransparent(const std::string& format, int width, int height);

}  // namespace userimage

#endif  // TESTS_NORMALIZE_TEST_PHOTOS_H_
