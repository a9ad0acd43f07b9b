"""What a QEMU screendump shows: is anything drawn, and a PNG copy to look at (no libraries)."""
import struct
import zlib
from collections import Counter


def read_ppm(path):
    """(width, height, rgb bytes) of a binary P6 PPM with maxval 255."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ValueError(f"{path}: not a P6 PPM with maxval 255")
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos + 1:pos + 1 + width * height * 3]


def drawn_fraction(width, height, rgb):
    """The share of pixels that differ from the most common colour (the background)."""
    pixels = Counter(rgb[i:i + 3] for i in range(0, len(rgb), 3))
    background = pixels.most_common(1)[0][1]
    return 1 - background / (width * height)


def write_png(path, width, height, rgb):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    rows = b"".join(b"\0" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def check_screen(ppm, png, min_drawn=0.002):
    """None if the screen shows something (text), else why not; writes the PNG either way."""
    width, height, rgb = read_ppm(ppm)
    write_png(png, width, height, rgb)
    drawn = drawn_fraction(width, height, rgb)
    if drawn < min_drawn:
        return f"the screen is blank ({drawn:.4%} of {width}x{height} pixels drawn; see {png})"
    return None
