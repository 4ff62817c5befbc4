"""OCR with the real RapidOCR engine (offline, models inside the wheel) on generated pages: clean, degraded, blank.

Pages are smaller than A4 to keep the run short, but the text keeps a 300-dpi-like size (40 px, about 10 pt)."""

from __future__ import annotations

import json
import unicodedata

import numpy as np
import pytest

from infrastructure.ocr.rapid import RapidOcr, RecognisedPage, character_accuracy, reading_order
from tests.pages import LINES, add_noise, blank_page, blur, render_page, rotate

PAGE_LINES = LINES[:6]
PAGE = {"size": (1400, 800), "font_px": 40, "margin": 60}


@pytest.fixture(scope="module")
def ocr() -> RapidOcr:
    return RapidOcr(threads=1)


@pytest.fixture(scope="module")
def clean(ocr: RapidOcr) -> RecognisedPage:
    return ocr.recognise(render_page(PAGE_LINES, **PAGE))


def test_character_accuracy_measure() -> None:
    assert character_accuracy("沪府办〔2011〕15号", "沪府办〔2011〕15号") == 1.0
    assert character_accuracy("ＡＢ C\nD", "ABCD") == 1.0  # NFKC folds full-width forms; whitespace is ignored
    assert character_accuracy("ABXD", "ABCD") == 0.75
    assert character_accuracy("ABD", "ABCD") == 0.75
    assert character_accuracy("", "ABCD") == 0.0


def test_reading_order_is_top_to_bottom_then_left_to_right() -> None:
    def line(text: str, x: float, y: float) -> dict:
        return {"text": text, "score": 1.0, "box": [[x, y], [x + 50, y], [x + 50, y + 20], [x, y + 20]]}

    ordered = reading_order([line("c", 0, 100), line("b", 300, 3), line("a", 0, 0)])
    assert [item["text"] for item in ordered] == ["a", "b", "c"]


def test_clean_page(ocr: RapidOcr, clean: RecognisedPage) -> None:
    accuracy = character_accuracy(clean.text, "".join(PAGE_LINES))
    assert accuracy >= 0.95, f"clean accuracy {accuracy:.4f}:\n{clean.text}"
    assert 0.5 < clean.confidence <= 1.0
    assert clean.text.split("\n")[0].startswith("上海市人民政府")  # reading order: the heading first
    assert clean.text == "\n".join(line["text"] for line in clean.lines)
    json.dumps(clean.lines)  # JSON-able as stored
    assert all(len(line["box"]) == 4 and 0.0 <= line["score"] <= 1.0 for line in clean.lines)
    assert ocr.name.startswith("rapidocr 3.")


def test_document_number_is_recovered(clean: RecognisedPage) -> None:
    def fold(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())

    assert fold("沪府办〔2011〕15号") in fold(clean.text), clean.text


def test_degraded_page(ocr: RapidOcr) -> None:
    page = blur(add_noise(rotate(render_page(PAGE_LINES, **PAGE), 1.0), 10), 1.0)
    result = ocr.recognise(page)
    accuracy = character_accuracy(result.text, "".join(PAGE_LINES))
    assert accuracy >= 0.95, f"degraded accuracy {accuracy:.4f}:\n{result.text}"


def test_bgr_input(ocr: RapidOcr) -> None:
    grey = render_page(PAGE_LINES[1:2], size=(700, 160), font_px=40, margin=60)
    result = ocr.recognise(np.repeat(grey[:, :, None], 3, axis=2))
    assert character_accuracy(result.text, PAGE_LINES[1]) >= 0.9, result.text


def test_blank_page(ocr: RapidOcr) -> None:
    result = ocr.recognise(blank_page(size=PAGE["size"]))
    assert result.text == ""
    assert result.confidence == 0.0
    assert result.lines == []


def test_rejects_what_is_not_a_page(ocr: RapidOcr) -> None:
    with pytest.raises(ValueError):
        ocr.recognise(np.zeros((10, 10), np.float32))
