"""What comes in from scanners and uploads, checked before anything is stored.

The real type is sniffed from the first bytes (an extension proves nothing); size, pixel count and frame count are
capped before decoding (decompression bombs: a small file that inflates to gigabytes); truncated or corrupt images
are rejected with the reason. The user's file name is only ever kept as a label, never used as a path.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from domain.errors import InvalidValue

MAX_BYTES = 300 * 1024 * 1024
MAX_PIXELS = 120_000_000  # A3 at 600 dpi is 70 MP; anything far beyond is not a page
MAX_FRAMES = 1000
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
    frame: int  # index inside the file (multi-page TIFF)
    image: np.ndarray  # uint8 grey (H, W) or BGR (H, W, 3)
    dpi: int | None  # from the file's metadata
    colour: str  # "colour" | "grey" | "bitonal" as delivered
    pixels_sha256: str  # of the decoded pixels: the same scan in another container is still a duplicate

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


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


def read_pages(data: bytes, name: str = "") -> tuple[str, list[IncomingPage]]:
    """The file's media type and every page in it, fully decoded (so a corrupt page is caught now, not later)."""
    media_type = sniff(data, name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return media_type, _frames(image, name)
    except RejectedImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RejectedImage(
            f"{label(name)}: too many pixels (more than {MAX_PIXELS:,}) — refused as a decompression bomb"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise RejectedImage(f"{label(name)}: the image is truncated or corrupt ({error})") from None


def read_frame(data: bytes, frame: int) -> IncomingPage:
    """One page of a file that passed read_pages before (a processing worker needs only its own page)."""
    with Image.open(io.BytesIO(data)) as image:
        image.seek(frame)
        image.load()
        return _page(image, frame)


def _frames(image: Image.Image, name: str) -> list[IncomingPage]:
    pages = []
    for frame, page in enumerate(ImageSequence.Iterator(image)):
        if frame >= MAX_FRAMES:
            raise RejectedImage(f"{label(name)}: more than {MAX_FRAMES} pages in one file")
        width, height = page.size
        if width * height > MAX_PIXELS:
            raise RejectedImage(f"{label(name)}: page {frame + 1} has {width * height:,} pixels, more than {MAX_PIXELS:,}")
        if width < 16 or height < 16:
            raise RejectedImage(f"{label(name)}: page {frame + 1} is {width}×{height} pixels, too small to be a page")
        page.load()
        pages.append(_page(page, frame))
    return pages


def _page(page: Image.Image, frame: int) -> IncomingPage:
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
    return IncomingPage(frame, array, resolution, colour, hashlib.sha256(array.tobytes()).hexdigest())
