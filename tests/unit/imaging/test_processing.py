"""Page processing on generated A4 pages at 300 dpi (tests/pages.py), with real OpenCV and Pillow."""

from __future__ import annotations

import io
import pickle
import re

import cv2
import numpy as np
import pytest
from PIL import Image

from infrastructure.imaging.processing import (
    PageMetrics,
    ProcessingParameters,
    access_pdf,
    crop_dark_borders,
    measure_skew,
    phash_distance,
    process_page,
    to_grey,
)
from tests.pages import LINES, add_noise, blank_page, blur, dark_border, render_page, rotate

BORDER = 60


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return render_page()


@pytest.fixture(scope="module")
def processed(page: np.ndarray):  # type: ignore[no-untyped-def]
    """The clean page, processed once and shared by the tests that only read its metrics."""
    return process_page(page, ProcessingParameters())


def scan(page: np.ndarray, degrees: float) -> np.ndarray:
    """A realistic skewed scan: paper askew on the glass, axis-aligned dark frame, sensor noise."""
    return add_noise(dark_border(rotate(page, degrees), width=BORDER), 8)


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


@pytest.mark.parametrize("degrees", [-5, -3.3, -1, 0, 0.7, 2.5, 5])
def test_skew_is_measured_within_a_tenth_of_a_degree(page: np.ndarray, degrees: float) -> None:
    paper, _ = crop_dark_borders(scan(page, degrees))
    measured = measure_skew(paper)
    print(f"skew {degrees:+.2f}° measured {measured:+.2f}° error {measured - degrees:+.3f}°")
    assert abs(measured - degrees) <= 0.1


def test_processing_straightens_the_page_and_crops_the_frame(page: np.ndarray) -> None:
    image = scan(page, 2.5)
    result = process_page(image, ProcessingParameters())
    m = result.metrics
    assert abs(m.skew_degrees - 2.5) <= 0.1 and abs(m.residual_skew_degrees) <= 0.1
    x, y, w, h = m.crop_box
    height, width = image.shape
    assert x >= BORDER and y >= BORDER and x + w <= width - BORDER and y + h <= height - BORDER
    assert (m.width, m.height) == (w, h)
    assert m.border_ink_per_mille < 0.5  # no frame left along the edges


def test_a_page_without_frame_keeps_its_whole_area(page: np.ndarray, processed) -> None:  # type: ignore[no-untyped-def]
    assert processed.metrics.crop_box == (0, 0, page.shape[1], page.shape[0])
    assert abs(processed.metrics.skew_degrees) <= 0.05


def test_blur_lowers_clarity_far_below_a_sharp_page(page: np.ndarray, processed) -> None:  # type: ignore[no-untyped-def]
    blurred = process_page(blur(page, 2), ProcessingParameters()).metrics.clarity
    print(f"clarity sharp {processed.metrics.clarity} blurred {blurred}")
    assert blurred * 10 < processed.metrics.clarity


def test_a_blank_page_has_no_ink_and_a_text_page_has(processed) -> None:  # type: ignore[no-untyped-def]
    blank = process_page(blank_page(), ProcessingParameters()).metrics
    assert blank.ink_per_mille < 1 and blank.skew_degrees == 0.0
    assert processed.metrics.ink_per_mille > 5


def test_content_cut_at_the_edge_shows_in_the_border_band(processed) -> None:  # type: ignore[no-untyped-def]
    long_lines = [line * 4 for line in LINES]  # runs off the right edge
    cut = process_page(render_page(long_lines, margin=20), ProcessingParameters()).metrics
    print(f"border ink cut {cut.border_ink_per_mille} normal {processed.metrics.border_ink_per_mille}")
    assert cut.border_ink_per_mille > 5 and processed.metrics.border_ink_per_mille < 0.5


def test_colour_mode_is_that_of_the_input(page: np.ndarray) -> None:
    params = ProcessingParameters()
    small = cv2.resize(page, (620, 877), interpolation=cv2.INTER_AREA)
    colour = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    cv2.rectangle(colour, (400, 700), (560, 840), (0, 0, 220), 6)  # a red stamp
    assert process_page(colour, params).metrics.colour_mode == "colour"
    assert process_page(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR), params).metrics.colour_mode == "grey"
    assert process_page(small, params).metrics.colour_mode == "grey"
    bitonal = np.where(small > 127, 255, 0).astype(np.uint8)
    assert process_page(bitonal, params).metrics.colour_mode == "bitonal"
    assert to_grey(colour).shape == small.shape


def test_phash_survives_reencoding_but_not_a_different_page(page: np.ndarray, processed) -> None:  # type: ignore[no-untyped-def]
    ok, jpeg = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    again = process_page(decode(jpeg.tobytes()), ProcessingParameters()).metrics.phash
    other = process_page(render_page(LINES[::-1]), ProcessingParameters()).metrics.phash
    other2 = process_page(render_page([line[::-1] for line in LINES[3:]]), ProcessingParameters()).metrics.phash
    same = phash_distance(processed.metrics.phash, again)
    different = phash_distance(processed.metrics.phash, other)
    different2 = phash_distance(processed.metrics.phash, other2)
    print(f"phash distance: re-encoded {same}, different pages {different} and {different2} (of 256 bits)")
    assert same <= 10
    assert phash_distance(other, other) == 0


def test_access_pdf_has_one_page_per_input(processed) -> None:  # type: ignore[no-untyped-def]
    pdf = access_pdf([processed.web_jpeg, processed.thumbnail_jpeg, processed.web_jpeg])
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 3


def test_derivatives_decode_at_their_sizes(page: np.ndarray) -> None:
    params = ProcessingParameters(binarise=True, web_long_side=1200, thumb_long_side=200)
    result = process_page(page, params)
    assert max(decode(result.web_jpeg).shape) == 1200
    assert max(decode(result.thumbnail_jpeg).shape) == 200
    assert result.bitonal_tiff is not None
    with Image.open(io.BytesIO(result.bitonal_tiff)) as tiff:
        assert tiff.mode == "1" and tiff.size == (result.metrics.width, result.metrics.height)
        assert tiff.info.get("compression") == "group4"
    assert process_page(page, ProcessingParameters()).bitonal_tiff is None


def test_parameters_and_metrics_round_trip_and_pickle(processed) -> None:  # type: ignore[no-untyped-def]
    params = ProcessingParameters(median_ksize=5, binarise=True)
    assert ProcessingParameters.from_dict({**params.as_dict(), "future_option": 1}) == params
    metrics = processed.metrics.as_dict()
    assert set(metrics) == {f for f in PageMetrics.__dataclass_fields__}
    assert all(isinstance(v, (int, float, str, list)) for v in metrics.values())
    assert pickle.loads(pickle.dumps(processed)) == processed
