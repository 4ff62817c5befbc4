"""RapidOCR adapter: recognises the text of a scanned page offline.

The ONNX models (PP-OCRv6 small detection + recognition, mobile v2 direction classifier) ship inside the rapidocr wheel,
so nothing is downloaded at run time. The engine is created lazily on first use and then reused; create one `RapidOcr`
per process (an engine is not meant to be shared across processes, and a worker process should build its own).
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_LOGGER_NAME = "RapidOCR"  # rapidocr's own logger, which writes straight to the terminal at INFO by default


def _quiet_rapidocr_logging() -> None:
    logger = logging.getLogger(_LOGGER_NAME)
    logger.setLevel(logging.ERROR)
    for handler in logger.handlers:
        handler.setLevel(logging.ERROR)


@dataclass(frozen=True)
class RecognisedPage:
    text: str  # lines joined with "\n" in reading order (top-to-bottom, then left-to-right)
    confidence: float  # mean line score, 0..1 (0.0 for a page with no text)
    lines: list[dict] = field(default_factory=list)  # [{"text": str, "score": float, "box": [[x, y]] * 4}], JSON-able


class RapidOcr:
    """One RapidOCR engine, built on first use (thread-safe); `threads` is ONNX Runtime's intra-op thread count."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(1, int(threads))
        self.name = f"rapidocr {importlib.metadata.version('rapidocr')} (PP-OCRv6 small)"
        self._engine: Any = None
        self._lock = threading.Lock()

    def _get_engine(self) -> Any:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    _quiet_rapidocr_logging()
                    from rapidocr import RapidOCR

                    _quiet_rapidocr_logging()
                    self._engine = RapidOCR(
                        params={
                            "Global.log_level": "error",
                            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                        }
                    )
                    _quiet_rapidocr_logging()
        return self._engine

    def recognise(self, image: np.ndarray) -> RecognisedPage:
        """Text of a uint8 page image, grey (H, W) or BGR (H, W, 3)."""
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise ValueError("expected a uint8 grey (H, W) or BGR (H, W, 3) image")
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[:, :, 0]
        if image.ndim == 2:
            import cv2

            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif image.shape[2] != 3:
            raise ValueError("expected a uint8 grey (H, W) or BGR (H, W, 3) image")
        engine = self._get_engine()
        result = engine(np.ascontiguousarray(image))
        txts = getattr(result, "txts", None) or ()
        scores = getattr(result, "scores", None) or ()
        boxes = getattr(result, "boxes", None)
        if boxes is None:
            boxes = ()
        lines = [
            {"text": str(text), "score": float(score), "box": [[float(x), float(y)] for x, y in np.asarray(box).reshape(-1, 2)]}
            for text, score, box in zip(txts, scores, boxes, strict=False)
            if str(text).strip()
        ]
        lines = reading_order(lines)
        if not lines:
            return RecognisedPage(text="", confidence=0.0, lines=[])
        return RecognisedPage(
            text="\n".join(line["text"] for line in lines),
            confidence=sum(line["score"] for line in lines) / len(lines),
            lines=lines,
        )


def reading_order(lines: list[dict]) -> list[dict]:
    """Top-to-bottom, then left-to-right: boxes whose vertical centres lie within half a line height share a row."""
    if not lines:
        return []

    def top(line: dict) -> float:
        return min(y for _, y in line["box"])

    def bottom(line: dict) -> float:
        return max(y for _, y in line["box"])

    def left(line: dict) -> float:
        return min(x for x, _ in line["box"])

    heights = sorted(max(1.0, bottom(line) - top(line)) for line in lines)
    tolerance = heights[len(heights) // 2] / 2
    rows: list[list[dict]] = []
    row_centre = 0.0
    for line in sorted(lines, key=lambda item: (top(item) + bottom(item)) / 2):
        centre = (top(line) + bottom(line)) / 2
        if rows and abs(centre - row_centre) <= tolerance:
            rows[-1].append(line)
        else:
            rows.append([line])
            row_centre = centre
    return [line for row in rows for line in sorted(row, key=left)]


def _normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions, each cost 1); O(len(a) * len(b)) time, O(len(b)) memory."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def character_accuracy(recognised: str, truth: str) -> float:
    """1 - Levenshtein(recognised, truth) / len(truth) over NFKC-normalised text with all whitespace removed.

    Can be negative when the recognised text is much longer than the truth; 1.0 when both are empty, 0.0 when only
    the truth is empty."""
    a, b = _normalise(recognised), _normalise(truth)
    if not b:
        return 1.0 if not a else 0.0
    return 1.0 - levenshtein(a, b) / len(b)
