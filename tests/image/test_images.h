#ifndef TESTS_IMAGE_TEST_IMAGES_H_
#define TESTS_IMAGE_TEST_IMAGES_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace userimage {
namespace test_images {

// Builders of small, structurally valid images for the image library's
// tests. They produce container structure, not decodable pixels (the
// compressed data is a few placeholder bytes), except where noted. Pure
// functions; thread-safe.

// The contents of tests/image/testdata/`name` (from the test's runfiles).
// Fails the test if the file cannot be read.
std::string ReadTestdata(absl::string_view name);

// EXIF data in TIFF form (little-endian) as a phone writes it: IFD0 with
// Make "TestCam", Orientation `orientation` and a pointer to a GPS IFD
// holding latitude 37° 46' 29.99" N, longitude 122° 25' 12.34" W. The same
// bytes as tests/image/testdata/make_testdata.py writes.
std::string GpsExifTiff(int orientation);
// Bytes that occur only in GpsExifTiff's GPS IFD: the latitude rationals.
std::string GpsLatitudeBytes();
// An XMP packet that records a GPS position.
std::string XmpPacket();

// ---- JPEG
// A marker segment: FF, marker, big-endian length, payload.
std::string JpegSegmentBytes(uint8_t marker, absl::string_view payload);
// APP0 JFIF 1.01 without a thumbnail.
std::string JfifSegment();
// SOF0 for a `width`x`height` 3-component image.
std::string Sof0Segment(uint16_t width, uint16_t height);
// Tables, frame header and scan of a `width`x`height` JPEG: DQT, SOF0,
// DHT, SOS, entropy-coded data (with a stuffed 0xFF00 and an RST0) and
// EOI. Prepend SOI and any APPn segments.
std::string JpegBody(uint16_t width, uint16_t height);
// SOI + `segments` + JpegBody(width, height).
std::string Jpeg(uint16_t width, uint16_t height,
                 absl::string_view segments = "");

// ---- PNG (CRCs are placeholders: the library does not check them)
std::string PngChunkBytes(absl::string_view type, absl::string_view data);
std::string IhdrChunk(uint32_t width, uint32_t height, uint8_t bit_depth = 8,
                      uint8_t color_type = 6);
// Signature, IHDR (8-bit RGBA), `before_idat`, one IDAT, `after_idat`,
// IEND.
std::string Png(uint32_t width, uint32_t height,
                absl::string_view before_idat = "",
                absl::string_view after_idat = "");

// ---- WebP
std::string RiffChunkBytes(absl::string_view fourcc, absl::string_view payload);
// "RIFF", size, "WEBP", `chunks`.
std::string Webp(absl::string_view chunks);
// Payload of a "VP8 " chunk (key frame header, placeholder data).
std::string Vp8Payload(uint16_t width, uint16_t height);
// Payload of a "VP8L" chunk (header, placeholder data).
std::string Vp8lPayload(uint16_t width, uint16_t height);
// Payload of a "VP8X" chunk.
std::string Vp8xPayload(uint8_t flags, uint32_t width, uint32_t height);
// Payload of an "ANMF" chunk holding a VP8L frame.
std::string AnmfPayload(uint32_t x, uint32_t y, uint16_t width,
                        uint16_t height);

// ---- GIF
// "GIF89a", logical screen descriptor, 2-colour global colour table.
std::string GifHeader(uint16_t width, uint16_t height);
// Image descriptor (no local colour table) and a few bytes of image data.
std::string GifImage(uint16_t left, uint16_t top, uint16_t width,
                     uint16_t height);
// Extension introducer, `label`, `data` in sub-blocks, terminator.
std::string GifExtension(uint8_t label, absl::string_view data);
// Application extension: 11-byte identifier sub-block, then `data`.
std::string GifApplicationExtension(absl::string_view identifier,
                                    absl::string_view data);

// ---- HEIF / AVIF (ISO-BMFF boxes; no image data)
// A box: 32-bit size, `type`, `body`.
std::string IsoBox(absl::string_view type, absl::string_view body);
// ftyp with `brand` as major brand, then meta/iprp/ipco holding an ispe
// of `width`×`height` and, with `rotated`, an irot property.
std::string HeifHeader(uint32_t width, uint32_t height,
                       absl::string_view brand = "heic", bool rotated = false);

}  // namespace test_images
}  // namespace userimage

#endif  // TESTS_IMAGE_TEST_IMAGES_H_
