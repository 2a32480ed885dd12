"""PNGs in tests: images drawn without the internet, and segmentation answers (their labels
come as a base64 PNG) read back."""

from __future__ import annotations

import base64
import struct
import zlib


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes | str) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """(width, height, pixels[y][x] as RGBA) of an 8-bit RGB or RGBA PNG, raw or base64 (with
    or without a data: prefix)."""
    if isinstance(data, str):
        data = base64.b64decode(data.split(",", 1)[-1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat = 8, b""
    width = height = channels = 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        body = data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            line[i] = (
                line[i] + (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            ) & 0xFF
        previous = line
        row = [tuple(line[x * channels : (x + 1) * channels]) for x in range(width)]
        if channels == 3:
            row = [(*pixel, 255) for pixel in row]
        pixels.append(row)
    return width, height, pixels


def hex_colour(pixel: tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*pixel[:3])


def png_data_url(
    width: int,
    height: int,
    *,
    background: tuple[int, int, int] = (240, 240, 240),
    rectangles: tuple[tuple[int, int, int, int, tuple[int, int, int]], ...] = (),
) -> str:
    """A PNG as a data: URL: `background`, with filled (left, top, width, height, colour)
    rectangles on it."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            colour = background
            for left, top, w, h, fill in rectangles:
                if left <= x < left + w and top <= y < top + h:
                    colour = fill
            row.extend(colour)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()
