#include "tests/image/test_images.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "client/read_file.h"
#include "gtest/gtest.h"

namespace userimage {
namespace test_images {
namespace {

std::string BigEndian16(uint16_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string BigEndian32(uint32_t v) {
  return absl::StrCat(BigEndian16(v >> 16), BigEndian16(v & 0xFFFF));
}
std::string LittleEndian16(uint16_t v) {
  return {static_cast<char>(v), static_cast<char>(v >> 8)};
}
std::string LittleEndian24(uint32_t v) {
  return {static_cast<char>(v), static_cast<char>(v >> 8),
          static_cast<char>(v >> 16)};
}
std::string LittleEndian32(uint32_t v) {
  return absl::StrCat(LittleEndian16(v & 0xFFFF), LittleEndian16(v >> 16));
}
std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// One TIFF IFD entry, little-endian.
std::string Entry(uint16_t tag, uint16_t type, uint32_t count,
                  absl::string_view value) {
  return absl::StrCat(LittleEndian16(tag), LittleEndian16(type),
                      LittleEndian32(count), value);
}

}  // namespace

std::string ReadTestdata(absl::string_view name) {
  const std::string path =
      absl::StrCat(std::getenv("TEST_SRCDIR"),
                   "/clerk_user_image/tests/image/testdata/", name);
  absl::StatusOr<std::string> bytes = clerk::userimage::client::ReadFile(path);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.value_or("");
}

std::string GpsExifTiff(int orientation) {
  const std::string make("TestCam\0", 8);
  const uint32_t ifd0 = 8, make_offset = ifd0 + 2 + 3 * 12 + 4;
  const uint32_t gps = make_offset + 8, lat = gps + 2 + 5 * 12 + 4,
                 lon = lat + 24;
  std::string rationals_lat, rationals_lon;
  for (uint32_t v : {37, 1, 46, 1, 2999, 100}) {
    absl::StrAppend(&rationals_lat, LittleEndian32(v));
  }
  for (uint32_t v : {122, 1, 25, 1, 1234, 100}) {
    absl::StrAppend(&rationals_lon, LittleEndian32(v));
  }
  return absl::StrCat(
      "II", LittleEndian16(42), LittleEndian32(ifd0), LittleEndian16(3),
      Entry(0x010F, 2, 8, LittleEndian32(make_offset)),
      Entry(0x0112, 3, 1,
            absl::StrCat(LittleEndian16(orientation), LittleEndian16(0))),
      Entry(0x8825, 4, 1, LittleEndian32(gps)), LittleEndian32(0), make,
      LittleEndian16(5), Entry(0x0000, 1, 4, Bytes({2, 2, 0, 0})),
      Entry(0x0001, 2, 2, std::string("N\0\0\0", 4)),
      Entry(0x0002, 5, 3, LittleEndian32(lat)),
      Entry(0x0003, 2, 2, std::string("W\0\0\0", 4)),
      Entry(0x0004, 5, 3, LittleEndian32(lon)), LittleEndian32(0),
      rationals_lat, rationals_lon);
}

std::string GpsLatitudeBytes() {
  std::string bytes;
  for (uint32_t v : {37, 1, 46, 1, 2999, 100}) {
    absl::StrAppend(&bytes, LittleEndian32(v));
  }
  return bytes;
}

std::string XmpPacket() {
  return "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
         "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
         "<rdf:Description xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" "
         "exif:GPSLatitude=\"37,46.4998N\"/></rdf:RDF></x:xmpmeta>";
}

std::string JpegSegmentBytes(uint8_t marker, absl::string_view payload) {
  return absl::StrCat(Bytes({0xFF, marker}), BigEndian16(payload.size() + 2),
                      payload);
}

std::string JfifSegment() {
  return JpegSegmentBytes(
      0xE0, Bytes({'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}));
}

std::string Sof0Segment(uint16_t width, uint16_t height) {
  return JpegSegmentBytes(
      0xC0, absl::StrCat(Bytes({8}), BigEndian16(height), BigEndian16(width),
                         Bytes({3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1})));
}

std::string JpegBody(uint16_t width, uint16_t height) {
  return absl::StrCat(
      JpegSegmentBytes(0xDB, absl::StrCat(Bytes({0}), std::string(64, '\x01'))),
      Sof0Segment(width, height),
      JpegSegmentBytes(0xC4, absl::StrCat(Bytes({0}), std::string(16, '\0'))),
      JpegSegmentBytes(0xDA, Bytes({3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0})),
      Bytes({0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78}),
      Bytes({0xFF, 0xD9}));
}

std::string Jpeg(uint16_t width, uint16_t height, absl::string_view segments) {
  return absl::StrCat(Bytes({0xFF, 0xD8}), segments, JpegBody(width, height));
}

std::string PngChunkBytes(absl::string_view type, absl::string_view data) {
  return absl::StrCat(BigEndian32(data.size()), type, data,
                      std::string(4, '\0'));
}

std::string IhdrChunk(uint32_t width, uint32_t height, uint8_t bit_depth,
                      uint8_t color_type) {
  return PngChunkBytes("IHDR",
                       absl::StrCat(BigEndian32(width), BigEndian32(height),
                                    Bytes({bit_depth, color_type, 0, 0, 0})));
}

std::string Png(uint32_t width, uint32_t height, absl::string_view before_idat,
                absl::string_view after_idat) {
  return absl::StrCat("\x89PNG\r\n\x1A\n", IhdrChunk(width, height),
                      before_idat, PngChunkBytes("IDAT", "\x78\x9C\x03\x00"),
                      after_idat, PngChunkBytes("IEND", ""));
}

std::string RiffChunkBytes(absl::string_view fourcc,
                           absl::string_view payload) {
  return absl::StrCat(fourcc, LittleEndian32(payload.size()), payload,
                      payload.size() % 2 == 1 ? std::string(1, '\0') : "");
}

std::string Webp(absl::string_view chunks) {
  return absl::StrCat("RIFF", LittleEndian32(4 + chunks.size()), "WEBP",
                      chunks);
}

std::string Vp8Payload(uint16_t width, uint16_t height) {
  // Frame tag: key frame, version 0, shown, first partition 4 bytes.
  const uint32_t tag = 0 | (0 << 1) | (1 << 4) | (4 << 5);
  return absl::StrCat(LittleEndian24(tag), Bytes({0x9D, 0x01, 0x2A}),
                      LittleEndian16(width), LittleEndian16(height),
                      Bytes({0, 0, 0, 0, 0, 0}));
}

std::string Vp8lPayload(uint16_t width, uint16_t height) {
  const uint32_t bits = (width - 1u) | (height - 1u) << 14 | 1u << 28;
  return absl::StrCat(Bytes({0x2F}), LittleEndian32(bits), Bytes({0, 0, 0}));
}

std::string Vp8xPayload(uint8_t flags, uint32_t width, uint32_t height) {
  return absl::StrCat(Bytes({flags, 0, 0, 0}), LittleEndian24(width - 1),
                      LittleEndian24(height - 1));
}

std::string AnmfPayload(uint32_t x, uint32_t y, uint16_t width,
                        uint16_t height) {
  return absl::StrCat(LittleEndian24(x / 2), LittleEndian24(y / 2),
                      LittleEndian24(width - 1), LittleEndian24(height - 1),
                      LittleEndian24(100), Bytes({0}),
                      RiffChunkBytes("VP8L", Vp8lPayload(width, height)));
}

std::string GifHeader(uint16_t width, uint16_t height) {
  return absl::StrCat("GIF89a", LittleEndian16(width), LittleEndian16(height),
                      Bytes({0x80, 0, 0}), Bytes({0, 0, 0, 255, 255, 255}));
}

std::string GifImage(uint16_t left, uint16_t top, uint16_t width,
                     uint16_t height) {
  return absl::StrCat(Bytes({0x2C}), LittleEndian16(left), LittleEndian16(top),
                      LittleEndian16(width), LittleEndian16(height),
                      Bytes({0, 2, 2, 0x4C, 0x01, 0}));
}

std::string GifExtension(uint8_t label, absl::string_view data) {
  std::string out = Bytes({0x21, label});
  for (size_t i = 0; i < data.size(); i += 255) {
    absl::string_view piece = data.substr(i, 255);
    out.push_back(static_cast<char>(piece.size()));
    absl::StrAppend(&out, piece);
  }
  out.push_back('\0');
  return out;
}

std::string GifApplicationExtension(absl::string_view identifier,
                                    absl::string_view data) {
  std::string out = absl::StrCat(Bytes({0x21, 0xFF, 11}), identifier);
  for (size_t i = 0; i < data.size(); i += 255) {
    absl::string_view piece = data.substr(i, 255);
    out.push_back(static_cast<char>(piece.size()));
    absl::StrAppend(&out, piece);
  }
  out.push_back('\0');
  return out;
}

std::string IsoBox(absl::string_view type, absl::string_view body) {
  const uint32_t size = static_cast<uint32_t>(8 + body.size());
  std::string out = {static_cast<char>(size >> 24),
                     static_cast<char>(size >> 16),
                     static_cast<char>(size >> 8), static_cast<char>(size)};
  return absl::StrCat(out, type, body);
}

std::string HeifHeader(uint32_t width, uint32_t height, absl::string_view brand,
                       bool rotated) {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const std::string full_box_header(4, '\0');  // Version 0, no flags.
  std::string properties =
      IsoBox("ispe", absl::StrCat(full_box_header, be32(width), be32(height)));
  if (rotated) properties += IsoBox("irot", std::string(1, '\1'));
  const std::string meta =
      IsoBox("meta", absl::StrCat(full_box_header,
                                  IsoBox("hdlr", std::string(24, '\0')),
                                  IsoBox("iprp", IsoBox("ipco", properties))));
  return absl::StrCat(
      IsoBox("ftyp", absl::StrCat(brand, be32(0), "mif1", brand)), meta);
}

}  // namespace test_images
}  // namespace userimage
