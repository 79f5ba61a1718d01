#!/usr/bin/env python3
"""Regenerates the image fixtures in this directory.

Needs ImageMagick (`convert`, Debian package imagemagick). ImageMagick draws
small images; the metadata (an EXIF block with a GPS position, XMP, text
chunks, comments) is then inserted byte by byte, the way cameras and editors
store it, so the fixtures hold real metadata in valid files:

  photo_gps.jpg          24x16 JPEG: JFIF, EXIF APP1 (Make, Orientation 1,
                         GPS IFD), XMP APP1, COM.
  photo_gps_rotated.jpg  the same with EXIF Orientation 6 (rotate 90°).
  photo_gps.png          24x16 PNG: eXIf (same EXIF), tEXt, zTXt, iTXt (XMP),
                         tIME.
  photo_gps.webp         24x16 extended WebP: VP8X with the EXIF and XMP
                         flags, VP8, EXIF, XMP.
  animated_comment.gif   8x6 GIF, 3 frames, looping, plus a comment and an
                         XMP application extension.
  animated.webp          8x6 animated WebP, 2 frames.

Run from anywhere: python3 tests/image/testdata/make_testdata.py
"""

import os
import struct
import subprocess
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERT = "/usr/bin/convert" if os.path.exists("/usr/bin/convert") else "convert"

XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="37,46.4998N" exif:GPSLongitude="122,25.2057W"/>'
    b"</rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def exif_tiff(orientation):
    """Little-endian TIFF: IFD0 (Make, Orientation, GPS pointer) + GPS IFD."""
    make = b"TestCam\0"
    ifd0_offset = 8
    ifd0_entries = 3
    ifd0_size = 2 + 12 * ifd0_entries + 4
    make_offset = ifd0_offset + ifd0_size
    gps_offset = make_offset + len(make)
    gps_entries = 5
    gps_size = 2 + 12 * gps_entries + 4
    lat_offset = gps_offset + gps_size
    lon_offset = lat_offset + 24

    def entry(tag, typ, count, value):
        return struct.pack("<HHI", tag, typ, count) + value

    out = b"II" + struct.pack("<HI", 42, ifd0_offset)
    out += struct.pack("<H", ifd0_entries)
    out += entry(0x010F, 2, len(make), struct.pack("<I", make_offset))
    out += entry(0x0112, 3, 1, struct.pack("<HH", orientation, 0))
    out += entry(0x8825, 4, 1, struct.pack("<I", gps_offset))
    out += struct.pack("<I", 0)
    out += make
    out += struct.pack("<H", gps_entries)
    out += entry(0x0000, 1, 4, bytes([2, 2, 0, 0]))
    out += entry(0x0001, 2, 2, b"N\0\0\0")
    out += entry(0x0002, 5, 3, struct.pack("<I", lat_offset))
    out += entry(0x0003, 2, 2, b"W\0\0\0")
    out += entry(0x0004, 5, 3, struct.pack("<I", lon_offset))
    out += struct.pack("<I", 0)
    out += struct.pack("<6I", 37, 1, 46, 1, 2999, 100)  # 37° 46' 29.99" N
    out += struct.pack("<6I", 122, 1, 25, 1, 1234, 100)  # 122° 25' 12.34" W
    return out


def convert(args, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out" + suffix)
        subprocess.run([CONVERT] + args + [path], check=True)
        with open(path, "rb") as f:
            return f.read()


def base_image(suffix, extra=()):
    return convert(
        ["-size", "24x16", "gradient:red-blue", "-fill", "white", "-draw",
         "circle 8,8 8,3", "-strip", *extra],
        suffix)


def jpeg_segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def make_jpeg(orientation):
    jpeg = base_image(".jpg", ["-quality", "85"])
    assert jpeg[2:4] == b"\xff\xe0"  # JFIF APP0 first: insert after it.
    app0_end = 4 + struct.unpack(">H", jpeg[4:6])[0]
    inserted = (
        jpeg_segment(0xE1, b"Exif\0\0" + exif_tiff(orientation))
        + jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0" + XMP)
        + jpeg_segment(0xFE, b"secret comment: taken at home")
    )
    return jpeg[:app0_end] + inserted + jpeg[app0_end:]


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def make_png():
    png = base_image(".png")
    ihdr_end = 8 + 8 + 13 + 4
    assert png[12:16] == b"IHDR"
    iend = png.rindex(b"IEND") - 4
    before_idat = (
        png_chunk(b"eXIf", exif_tiff(1))
        + png_chunk(b"tEXt", b"Comment\0secret comment: taken at home")
        + png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + XMP)
    )
    after_idat = (
        png_chunk(b"zTXt", b"Author\0\0" + zlib.compress(b"Jane Doe"))
        + png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 5, 17, 12, 30, 0))
    )
    return (png[:ihdr_end] + before_idat + png[ihdr_end:iend] + after_idat
            + png[iend:])


def riff_chunk(fourcc, payload):
    pad = b"\0" if len(payload) % 2 else b""
    return fourcc + struct.pack("<I", len(payload)) + payload + pad


def make_webp():
    webp = base_image(".webp", ["-quality", "80"])
    assert webp[12:16] == b"VP8 "
    vp8_size = struct.unpack("<I", webp[16:20])[0]
    vp8 = webp[12:20 + vp8_size + (vp8_size & 1)]
    flags = 0x08 | 0x04  # EXIF, XMP.
    vp8x = struct.pack("<B3x", flags) + (23).to_bytes(3, "little") + (
        15).to_bytes(3, "little")
    chunks = (riff_chunk(b"VP8X", vp8x) + vp8 + riff_chunk(b"EXIF", exif_tiff(1))
              + riff_chunk(b"XMP ", XMP))
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def gif_sub_blocks(data):
    out = b""
    for i in range(0, len(data), 255):
        piece = data[i:i + 255]
        out += bytes([len(piece)]) + piece
    return out + b"\0"


def make_gif():
    gif = convert(["-delay", "10", "-size", "8x6", "xc:red", "xc:blue",
                   "xc:green", "-loop", "0"], ".gif")
    packed = gif[10]
    header_end = 13 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0)
    inserted = (
        b"\x21\xfe" + gif_sub_blocks(b"secret comment: taken at home")
        + b"\x21\xff\x0bXMP DataXMP" + gif_sub_blocks(XMP)
    )
    return gif[:header_end] + inserted + gif[header_end:]


def make_animated_webp():
    return convert(["-delay", "10", "-size", "8x6", "xc:red", "xc:blue",
                    "-loop", "0"], ".webp")


def main():
    files = {
        "photo_gps.jpg": make_jpeg(1),
        "photo_gps_rotated.jpg": make_jpeg(6),
        "photo_gps.png": make_png(),
        "photo_gps.webp": make_webp(),
        "animated_comment.gif": make_gif(),
        "animated.webp": make_animated_webp(),
    }
    for name, data in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        print(name, len(data), "bytes")


if __name__ == "__main__":
    main()
