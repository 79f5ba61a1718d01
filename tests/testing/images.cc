#include "tests/testing/images.h"

#include <zlib.h>

#include <cstdint>
#include <random>

namespace userimage {
namespace {

void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(v >> shift));
}

void AppendChunk(std::string& out, const char* type, const std::string& data) {
  AppendU32(out, static_cast<uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  AppendU32(out,
            static_cast<uint32_t>(crc32(
                0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

}  // namespace

std::string TestPng(size_t size, unsigned seed) {
  constexpr size_t kOverhead = 8 + 25 + 12 + 12;  // signature, IHDR, IDAT, IEND
  std::string png("\x89PNG\r\n\x1A\n", 8);
  std::string ihdr;
  AppendU32(ihdr, 1);                              // width
  AppendU32(ihdr, 1);                              // height
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, defaults
  AppendChunk(png, "IHDR", ihdr);
  std::string idat;
  std::mt19937 random(seed);
  while (idat.size() + kOverhead < size)
    idat.push_back(static_cast<char>(random()));
  AppendChunk(png, "IDAT", idat);
  AppendChunk(png, "IEND", "");
  return png;
}

}  // namespace userimage
