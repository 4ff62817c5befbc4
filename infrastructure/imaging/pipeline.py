"""The Imaging port: intake checks and page processing, spread over every core (one process per core, since
OpenCV work on a page is short and Python-bound steps would otherwise hold one core)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import cv2

from infrastructure.imaging.intake import IncomingPage, measure, read_frame, read_pages
from infrastructure.imaging.processing import ProcessedPage, ProcessingParameters, access_pdf, process_page


def _process_one(item: tuple[bytes, int, dict[str, Any]]) -> ProcessedPage:
    data, frame, parameters = item
    return process_page(read_frame(data, frame).image, ProcessingParameters.from_dict(parameters))


class ParallelImaging:
    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def measure(self, data: bytes, name: str) -> tuple[str, int, int]:
        return measure(data, name)

    def read(self, data: bytes, name: str) -> tuple[str, list[IncomingPage]]:
        return read_pages(data, name)

    def process(self, items: list[tuple[bytes, int]], parameters: dict[str, Any]) -> list[ProcessedPage]:
        work = [(data, frame, parameters) for data, frame in items]
        if len(work) <= 1 or self.workers == 1:
            return [_process_one(item) for item in work]
        return list(self._executor().map(_process_one, work))

    def access_pdf(self, jpegs: list[bytes]) -> bytes:
        return access_pdf(jpegs)

    def preview(self, data: bytes, frame: int, long_side: int = 1600) -> bytes:
        """The original as the scanner delivered it (TIFF included), as a JPEG a browser can show beside the result."""
        image = read_frame(data, frame).image
        scale = long_side / max(image.shape[:2])
        if scale < 1:
            image = cv2.resize(
                image, (round(image.shape[1] * scale), round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA
            )
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            raise ValueError("the original could not be rendered")
        return encoded.tobytes()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the parent runs scheduler and server threads that a fork would copy mid-flight.
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None
