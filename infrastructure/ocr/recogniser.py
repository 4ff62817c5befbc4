"""The TextRecogniser port over RapidOCR: page images in, text and a confidence out."""

from __future__ import annotations

import cv2
import numpy as np

from infrastructure.ocr.rapid import RapidOcr


class RapidTextRecogniser:
    def __init__(self, threads: int = 1) -> None:
        self.engine = RapidOcr(threads=threads)  # the models load on first use, not at start-up

    @property
    def name(self) -> str:
        return self.engine.name

    def recognise_jpeg(self, jpeg: bytes) -> tuple[str, float]:
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise ValueError("the page view could not be decoded for OCR")
        page = self.engine.recognise(image)
        return page.text, page.confidence
