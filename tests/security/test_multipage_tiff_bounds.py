"""A multi-page TIFF costs what its pages are worth, not what a small file can unfold to (issue 11 finding 10).

Frame headers are measured before anything is decoded, against a cap on the pixels of one file and of one scan
request; frames are then decoded one at a time and only their metadata and pixel hash are kept."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from application.digitisation import MAX_SCAN_PIXELS, Digitisation, Upload
from domain.errors import InvalidValue
from infrastructure.imaging.intake import MAX_PIXELS, MAX_TOTAL_PIXELS, RejectedImage, measure, read_frame, read_pages
from infrastructure.imaging.pipeline import ParallelImaging
from tests import pages

BIG_FRAME = (10_000, 12_000)  # 120 MP: each frame on its own is within MAX_PIXELS
A4_300_DPI = (2480, 3508)


def blank_tiff(frames: int, size: tuple[int, int]) -> bytes:
    """Blank bitonal frames in CCITT G4: a few kB on disk for 120 MP a frame."""
    frame = Image.new("1", size, 1)
    out = io.BytesIO()
    frame.save(out, format="TIFF", save_all=True, append_images=[frame] * (frames - 1), compression="group4", dpi=(300, 300))
    return out.getvalue()


class Decoded(Exception):
    """Raised by the spy: a frame was decoded that should not have been."""


@pytest.fixture
def decoded_frames(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every TIFF frame decoding is attempted for is recorded, and refused (the test's memory stays small)."""
    seen: list[int] = []

    def spy(self: TiffImagePlugin.TiffImageFile) -> None:
        seen.append(self.tell())
        raise Decoded(f"frame {self.tell()} decoded")

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "load", spy)
    return seen


def test_a_multipage_tiff_is_refused_before_its_frames_are_decoded(decoded_frames: list[int]) -> None:
    assert BIG_FRAME[0] * BIG_FRAME[1] <= MAX_PIXELS  # every frame alone is within the cap on one page
    frames = MAX_TOTAL_PIXELS // (BIG_FRAME[0] * BIG_FRAME[1]) + 1
    hostile = blank_tiff(frames, BIG_FRAME)
    assert len(hostile) < 1_000_000  # a small upload: frames × 120 MP that compress to nothing
    with pytest.raises(RejectedImage, match=rf"^hostile\.tif: .*more than the {MAX_TOTAL_PIXELS:,} allowed in one file"):
        read_pages(hostile, "uploads/hostile.tif")
    assert decoded_frames == []


def test_one_scan_request_is_capped_over_all_its_files(decoded_frames: list[int]) -> None:
    three = blank_tiff(3, BIG_FRAME)
    files = MAX_SCAN_PIXELS // measure(three)[2] + 1  # each file alone passes; together they are too many pixels
    digitisation = Digitisation(archive=None, blobs=None, imaging=ParallelImaging(workers=1))  # type: ignore[arg-type]
    uploads = [Upload(f"part-{n}.tif", three) for n in range(1, files + 1)]
    with pytest.raises(InvalidValue, match=rf"^part-{files}\.tif: .*more than the {MAX_SCAN_PIXELS:,} allowed in one scan"):
        digitisation.check_uploads(uploads)
    assert decoded_frames == []


def test_intake_keeps_one_frame_in_memory_at_a_time() -> None:
    frame_bytes = 2000 * 2000  # grey: one byte a pixel
    gradient = np.tile(np.arange(2000, dtype=np.uint16) % 256, (2000, 1)).astype(np.uint8)
    tiff = pages.encode(gradient, "tiff", pages=[np.roll(gradient, i, axis=1) for i in range(8)])
    tracemalloc.start()
    try:
        _, incoming = read_pages(tiff, "eight.tif")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(incoming) == 8
    assert peak < 3 * frame_bytes, f"{peak:,} bytes at the peak for 8 frames of {frame_bytes:,}"
    assert not any(isinstance(value, np.ndarray) for page in incoming for value in vars(page).values())


def test_a_legitimate_multipage_tiff_still_goes_through() -> None:
    text = [pages.render_page(pages.LINES), pages.render_page(list(reversed(pages.LINES))), pages.render_page(pages.LINES[:3])]
    media_type, incoming = read_pages(pages.encode(text[0], "tiff", pages=text), "件.tif")
    assert media_type == "image/tiff"
    assert [(p.frame, p.width, p.height, p.dpi, p.colour) for p in incoming] == [
        (i, t.shape[1], t.shape[0], 300, "grey") for i, t in enumerate(text)
    ]
    tiff = pages.encode(text[0], "tiff", pages=text)
    assert [p.pixels_sha256 for p in incoming] == [read_frame(tiff, i).page.pixels_sha256 for i in range(3)]


def test_a_few_hundred_a4_pages_at_300_dpi_are_within_both_limits() -> None:
    a_thick_item = 450 * A4_300_DPI[0] * A4_300_DPI[1]
    assert a_thick_item <= MAX_TOTAL_PIXELS and a_thick_item <= MAX_SCAN_PIXELS
    assert measure(blank_tiff(40, A4_300_DPI), "件.tif") == ("image/tiff", 40, 40 * A4_300_DPI[0] * A4_300_DPI[1])


def test_an_animated_png_is_not_taken_frame_by_frame() -> None:
    frames = [Image.new("L", (64, 64), shade) for shade in (0, 255)]
    out = io.BytesIO()
    frames[0].save(out, format="PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(RejectedImage, match="several images"):
        read_pages(out.getvalue(), "anim.png")

