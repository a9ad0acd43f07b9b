"""What a QEMU screendump shows: is anything drawn, and a PNG copy to look at (no libraries)."""
import os
import re
import struct
import time
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


# ---- Reading the hypervisor's own text back from the screen ----
# The hypervisor draws its log in 8x16 cells from the top left corner with the font
# scripts/mkfont.py makes from GRUB's unicode.pf2, so a framebuffer screendump reads back exactly:
# each cell's ink (pixels not in the background colour) is looked up among the font's glyphs. In
# VGA text mode the card draws the characters with its own font, so the text is read from the
# text memory at 0xB8000 through the QEMU monitor instead (the screendump still shows it is drawn).

def font_glyphs(pf2="/usr/share/grub/unicode.pf2"):
    """{16 row bytes: character} for the hypervisor's font, as the build generates it."""
    import importlib.util  # scripts/ is no package
    spec = importlib.util.spec_from_file_location(
        "mkfont", os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               "scripts", "mkfont.py"))
    mkfont = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mkfont)
    return {tuple(rows): chr(c) for c, rows in mkfont.font(pf2).items()}


def framebuffer_text(width, height, rgb, glyphs):
    """The screen's 8x16 cells as lines of text; a cell that is no glyph of the font reads '?'."""
    background = Counter(rgb[i:i + 3] for i in range(0, len(rgb), 3)).most_common(1)[0][0]
    lines = []
    for top in range(0, height - 15, 16):
        line = []
        for left in range(0, width - 7, 8):
            rows = []
            for y in range(top, top + 16):
                bits, start = 0, (y * width + left) * 3
                for x in range(8):
                    if rgb[start + 3 * x:start + 3 * x + 3] != background:
                        bits |= 0x80 >> x
                rows.append(bits)
            line.append(glyphs.get(tuple(rows), "?"))
        lines.append("".join(line).rstrip())
    return "\n".join(lines)


def vga_text(dump):
    """The characters of a monitor `xp /Nhx 0xb8000` dump (each 16-bit cell: colour, character), 80 a line."""
    cells = [int(v, 16) for line in re.findall(r"^[0-9a-f]{16}: (.*)$", dump.replace("\r", ""), re.M)
             for v in re.findall(r"0x([0-9a-f]{4})", line)]
    chars = "".join(chr(c & 0xFF) if 0x20 <= c & 0xFF < 0x7F else " " for c in cells)
    return "\n".join(chars[i:i + 80].rstrip() for i in range(0, len(chars), 80))


def read_text(case, workdir, ppm):
    """What the hypervisor wrote on the screen, as text (case["screen_text"]: "fb" or "vga"), and
    its width in characters."""
    import emulators
    if case["screen_text"] == "vga":
        return vga_text(emulators.monitor_command(workdir, "xp /2000hx 0xb8000")), 80
    width, height, rgb = read_ppm(ppm)
    return framebuffer_text(width, height, rgb, font_glyphs()), width // 8


def unwrap(text, cols):
    """Log lines from screen lines: a line that fills the width goes on in the next (as the
    hypervisor wraps long lines; a line exactly as wide as the screen is joined by mistake)."""
    out, full = [], False
    for line in text.split("\n"):
        if full:
            out[-1] += line
        else:
            out.append(line)
        full = len(line) >= cols
    return "\n".join(out)


def check_case(case, workdir):
    """After the case's end: the screendump is not blank and, for cases that read the screen
    (screen_text), the hypervisor's text on it matches screen_expect and not screen_forbid.
    None, or why not."""
    import emulators
    ppm = emulators.screendump(workdir)
    if not ppm:
        return "no screendump from the QEMU monitor"
    problem = check_screen(ppm, os.path.join(workdir, "screen.png"))
    if problem or not case.get("screen_text"):
        return problem
    text, cols = read_text(case, workdir, ppm)
    with open(os.path.join(workdir, "screen.txt"), "w") as f:
        f.write(text + "\n")
    text = unwrap(text, cols)
    for pattern in case.get("screen_expect", []):
        if not re.search(pattern, text, re.M):
            return f"missing /{pattern}/ on the screen (see {os.path.join(workdir, 'screen.txt')})"
    for pattern in case.get("screen_forbid", []):
        m = re.search(pattern, text, re.M)
        if m:
            return f"found forbidden /{pattern}/ on the screen: {m.group(0)!r} (see {os.path.join(workdir, 'screen.txt')})"
    return None


class ScreenWatch:
    """For a case without a serial port: its end is when the screen shows case["screen_done"]
    (read every few seconds, each read a screendump)."""
    PERIOD = 3

    def __init__(self, case, workdir):
        self.case, self.workdir, self.next = case, workdir, time.time() + self.PERIOD
        self.done_re = re.compile(case["screen_done"], re.M)

    def done(self):
        import emulators
        if time.time() < self.next:
            return False
        self.next = time.time() + self.PERIOD
        ppm = emulators.screendump(self.workdir)
        try:
            return bool(ppm and self.done_re.search(unwrap(*read_text(self.case, self.workdir, ppm))))
        finally:
            if ppm:
                os.remove(ppm)
