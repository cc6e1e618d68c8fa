"""Writes the hostile image corpus in `hostile_images/` (committed; rerun to renew it):
`python tests/data/make_hostile_images.py`. What each file must answer is in
`hostile_images/expected.json`, checked by tests/core/test_hostile_uploads.py."""

import io
import json
import struct
import zlib
from pathlib import Path

from PIL import Image, PngImagePlugin

OUT = Path(__file__).parent / "hostile_images"
ACCEPTED = {"status": 201}


def refused(status: int, code: str) -> dict:
    return {"status": status, "code": code}


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def photo(size=(64, 48), mode="RGB") -> Image.Image:
    """A gradient (so encoders have something to compress), in `mode`."""
    width, height = size
    image = Image.new("RGB", size)
    image.putdata(
        [(x * 4 % 256, y * 5 % 256, (x + y) % 256) for y in range(height) for x in range(width)]
    )
    return image.convert(mode)


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif[0x0112] = 6  # orientation: rotated 90°
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.0)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.0)
    return exif.tobytes()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` and carries one tiny compressed row."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def bomb_png(pixels: int) -> bytes:
    """A real, fully compressed 1-bit PNG of about `pixels` pixels (a few KB)."""
    side = int(pixels**0.5) + 1
    row = b"\0" + b"\0" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def jpeg_with_dimensions(width: int, height: int) -> bytes:
    """A small JPEG whose frame header is rewritten to claim `width` x `height`."""
    data = bytearray(encoded(photo((16, 16)), "JPEG"))
    at = data.index(b"\xff\xc0") + 5
    data[at : at + 4] = struct.pack(">HH", height, width)
    return bytes(data)


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (32, 32), color) for color in ("red", "green", "blue")]
    return encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def corpus() -> dict[str, tuple[bytes, dict]]:
    jpeg = encoded(photo(), "JPEG", quality=90)
    png = encoded(photo(), "PNG")
    text_chunk = PngImagePlugin.PngInfo()
    text_chunk.add_text("Comment", "<script>alert(document.cookie)</script>")
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b'<rect width="9" height="9"/></svg>'
    )
    return {
        "plain.jpg": (jpeg, ACCEPTED),
        "plain.png": (png, ACCEPTED),
        "plain.webp": (encoded(photo(), "WEBP"), ACCEPTED),
        "lossless.webp": (encoded(photo(), "WEBP", lossless=True), ACCEPTED),
        "grey.png": (encoded(photo(mode="L"), "PNG"), ACCEPTED),
        "cmyk.jpg": (encoded(photo().convert("CMYK"), "JPEG"), ACCEPTED),
        "palette-transparent.png": (
            encoded(photo().convert("P"), "PNG", transparency=0),
            ACCEPTED,
        ),
        "exif-gps-rotated.jpg": (encoded(photo(), "JPEG", exif=exif_with_gps()), ACCEPTED),
        "script-in-text-chunk.png": (encoded(photo(), "PNG", pnginfo=text_chunk), ACCEPTED),
        "zip-appended.jpg": (jpeg + b"PK\x03\x04" + b"hidden archive payload" * 20, ACCEPTED),
        "animated.webp": (animated("WEBP"), ACCEPTED),
        "animated.png": (animated("PNG"), ACCEPTED),
        "animated.gif": (animated("GIF"), refused(415, "unsupported_media_type")),
        "gif-renamed.jpg": (encoded(photo(), "GIF"), refused(415, "unsupported_media_type")),
        "bitmap.bmp": (encoded(photo(), "BMP"), refused(415, "unsupported_media_type")),
        "tiff-renamed.png": (encoded(photo(), "TIFF"), refused(415, "unsupported_media_type")),
        "icon.ico": (encoded(photo((32, 32)), "ICO"), refused(415, "unsupported_media_type")),
        "vector.svg": (svg, refused(415, "unsupported_media_type")),
        "svg-renamed.png": (svg, refused(415, "unsupported_media_type")),
        "html-renamed.jpg": (
            b"<html><script>alert(1)</script></html>",
            refused(415, "unsupported_media_type"),
        ),
        "gif-javascript-polyglot.jpg": (
            b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(1)//;",
            refused(415, "unsupported_media_type"),
        ),
        "document.pdf": (
            b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            refused(415, "unsupported_media_type"),
        ),
        "random-bytes.jpg": (bytes(range(256)) * 8, refused(415, "unsupported_media_type")),
        "truncated.jpg": (jpeg[: len(jpeg) // 2], refused(400, "invalid_image")),
        "truncated.png": (png[: len(png) // 2], refused(400, "invalid_image")),
        "header-only.jpg": (jpeg[:200], refused(400, "invalid_image")),
        # Over MEDIA_MAX_PIXELS (40 M) but under Pillow's warning (89 M).
        "bomb-50M-pixels.png": (bomb_png(50_000_000), refused(413, "image_too_large")),
        # Between Pillow's warning (89 M) and its error (179 M).
        "bomb-120M-pixels.png": (bomb_png(120_000_000), refused(413, "image_too_large")),
        # Past Pillow's error threshold.
        "bomb-200M-pixels.png": (bomb_png(200_000_000), refused(413, "image_too_large")),
        "huge-dimensions.png": (png_header_only(1, 100_000_000), refused(413, "image_too_large")),
        "huge-dimensions.jpg": (
            jpeg_with_dimensions(65_000, 65_000),
            refused(413, "image_too_large"),
        ),
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    expected = {}
    for name, (data, outcome) in corpus().items():
        (OUT / name).write_bytes(data)
        expected[name] = outcome
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
