#ifndef TESTS_TESTING_IMAGES_H_
#define TESTS_TESTING_IMAGES_H_

#include <cstddef>
#include <string>

namespace userimage {

// A structurally valid PNG (signature, 1x1 IHDR, one IDAT, IEND, correct
// CRCs) of exactly `size` bytes (at least 57), its IDAT filled with
// pseudo-random bytes from `seed`: an image to the service's header checks,
// with no metadata to strip, so it reaches Clerk byte for byte.
std::string TestPng(size_t size, unsigned seed = 1);

}  // namespace userimage

#endif  // TESTS_TESTING_IMAGES_H_
