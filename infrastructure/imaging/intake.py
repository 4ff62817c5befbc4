"""What comes in from scanners and uploads, checked before anything is stored.

The real type is sniffed from the first bytes (an extension proves nothing); size, pixel count and frame count are
capped before decoding (decompression bombs: a small file that inflates to gigabytes); truncated or corrupt images
are rejected with the reason. The user's file name is only ever kept as a label, never used as a path.

A multi-page file is measured from its frame headers before any frame is decoded (a TIFF of tiny blank frames is
small on disk whatever its pixel count), then decoded one frame at a time, keeping only each page's metadata and
pixel hash: memory holds one frame, never the file.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from domain.errors import InvalidValue

MAX_BYTES = 300 * 1024 * 1024
MAX_PIXELS = 120_000_000  # A3 at 600 dpi is 70 MP; anything far beyond is not a page
MAX_FRAMES = 1000
# The total of one file and of one scan request (one 件: application/digitisation.py caps the request). A 件 of a few
# hundred pages is ordinary: 450 A4 pages at 300 dpi (8.7 MP each) or 55 A3 pages at 600 dpi (70 MP) fit; decoding that
# many pixels takes some seconds of one core. Beyond is not one 件 but work that a small upload of blank frames would
# otherwise buy for free (issue 11 finding 10).
MAX_TOTAL_PIXELS = 4_000_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow warns above this and refuses above twice it: both are refusals here
# First bytes of the accepted formats (TIFF both byte orders, PNG, JPEG).
SIGNATURES = {
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


class RejectedImage(InvalidValue):
    """An upload that is not an acceptable page image; the message says why."""


@dataclass(frozen=True)
class IncomingPage:
    """What intake keeps of a page: its metadata and pixel hash, not its pixels (read_frame decodes them again)."""

    frame: int  # index inside the file (multi-page TIFF)
    width: int
    height: int
    dpi: int | None  # from the file's metadata
    colour: str  # "colour" | "grey" | "bitonal" as delivered
    pixels_sha256: str  # of the decoded pixels: the same scan in another container is still a duplicate


@dataclass(frozen=True)
class DecodedPage:
    """One page with its pixels, for processing and previews: one at a time."""

    page: IncomingPage
    image: np.ndarray  # uint8 grey (H, W) or BGR (H, W, 3)


def label(name: str) -> str:
    """A file name reduced to a safe label: no folders, no control characters, at most 200 characters."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return cleaned[:200] or "unnamed"


def sniff(data: bytes, name: str = "") -> str:
    if len(data) > MAX_BYTES:
        raise RejectedImage(f"{label(name)}: {len(data):,} bytes is more than the {MAX_BYTES:,} allowed")
    for signature, media_type in SIGNATURES.items():
        if data.startswith(signature):
            return media_type
    if data.startswith(b"%PDF"):
        raise RejectedImage(f"{label(name)}: PDF is not taken as page images; export the scans as TIFF, PNG or JPEG")
    raise RejectedImage(f"{label(name)}: not a TIFF, PNG or JPEG image (its content says otherwise, whatever its name)")


def measure(data: bytes, name: str = "") -> tuple[str, int, int]:
    """The file's media type, frame count and total pixels, from its headers only (nothing is decoded)."""
    media_type = sniff(data, name)
    with _refusing_bombs(name), Image.open(io.BytesIO(data)) as image:
        sizes = _frame_sizes(image, name, media_type)
    return media_type, len(sizes), sum(w * h for w, h in sizes)


def read_pages(data: bytes, name: str = "") -> tuple[str, list[IncomingPage]]:
    """The file's media type and every page in it, each fully decoded (so a corrupt page is caught now, not later)
    but one at a time, and only after the headers showed the whole file within the limits."""
    media_type = sniff(data, name)
    with _refusing_bombs(name), Image.open(io.BytesIO(data)) as image:
        sizes = _frame_sizes(image, name, media_type)
        return media_type, [_decoded(image, frame).page for frame in range(len(sizes))]


def read_frame(data: bytes, frame: int) -> DecodedPage:
    """One page of a file that passed read_pages before (a processing worker needs only its own page)."""
    with Image.open(io.BytesIO(data)) as image:
        return _decoded(image, frame)


@contextmanager
def _refusing_bombs(name: str) -> Iterator[None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except RejectedImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RejectedImage(
            f"{label(name)}: too many pixels (more than {MAX_PIXELS:,}) — refused as a decompression bomb"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise RejectedImage(f"{label(name)}: the image is truncated or corrupt ({error})") from None


def _frame_sizes(image: Image.Image, name: str, media_type: str) -> list[tuple[int, int]]:
    """(width, height) of every frame, read from its header: seeking a TIFF reads the next directory, not pixels.
    Refuses at the first frame that is out of bounds or would take the file past MAX_TOTAL_PIXELS."""
    if media_type != "image/tiff" and getattr(image, "n_frames", 1) > 1:
        # An animated PNG or multi-picture JPEG: seeking those decodes every frame before; a scan is not animated.
        raise RejectedImage(f"{label(name)}: holds several images; deliver multi-page scans as one TIFF")
    sizes: list[tuple[int, int]] = []
    total = 0
    for frame in range(MAX_FRAMES + 1):
        try:
            image.seek(frame)
        except EOFError:
            break
        if frame == MAX_FRAMES:
            raise RejectedImage(f"{label(name)}: more than {MAX_FRAMES} pages in one file")
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise RejectedImage(f"{label(name)}: page {frame + 1} has {width * height:,} pixels, more than {MAX_PIXELS:,}")
        if width < 16 or height < 16:
            raise RejectedImage(f"{label(name)}: page {frame + 1} is {width}×{height} pixels, too small to be a page")
        total += width * height
        if total > MAX_TOTAL_PIXELS:
            raise RejectedImage(
                f"{label(name)}: pages 1–{frame + 1} have {total:,} pixels, more than the {MAX_TOTAL_PIXELS:,} "
                "allowed in one file"
            )
        sizes.append((width, height))
    return sizes


def _decoded(image: Image.Image, frame: int) -> DecodedPage:
    image.seek(frame)
    image.load()
    return _page(image, frame)


def _page(page: Image.Image, frame: int) -> DecodedPage:
    mode = page.mode
    if mode == "1":
        array, colour = np.asarray(page.convert("L")), "bitonal"
    elif mode in ("L", "LA"):
        array, colour = np.asarray(page.convert("L")), "grey"
    elif mode.startswith("I;16") or mode == "I":
        array = (np.asarray(page, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8)  # 16-bit masters to 8-bit
        colour = "grey"
    else:
        array, colour = np.asarray(page.convert("RGB"))[:, :, ::-1], "colour"  # OpenCV's BGR order
    array = np.ascontiguousarray(array)
    dpi = page.info.get("dpi")
    resolution = int(round(float(min(dpi)))) if dpi and min(dpi) > 1 else None
    digest = hashlib.sha256(memoryview(array)).hexdigest()  # hashed in place: no second copy of the frame
    height, width = array.shape[:2]
    return DecodedPage(IncomingPage(frame, int(width), int(height), resolution, colour, digest), array)
