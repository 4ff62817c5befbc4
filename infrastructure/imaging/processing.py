"""One scanned page in, a cleaned page and its QC metrics out.

Pure functions on numpy arrays with picklable arguments, so a ProcessPoolExecutor can run `process_page`.
The steps follow DA/T 31-2017 §10 (图像处理): 旋转及纠偏 (§10.2), 裁边 (§10.3), 去污 (§10.4) and the image
quality check (§10.5); the colour mode recorded is the one §9.3 (扫描色彩模式) asks the scan to be chosen by.
Measured recipes and costs: shared/RESEARCH.md, section "Images".
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, fields

import cv2
import imagehash
import numpy as np
from PIL import Image

SKEW_COARSE_STEP = 0.5  # degrees; RESEARCH.md: coarse 0.5° then fine 0.05° on a quarter-scale page
SKEW_FINE_STEP = 0.05
SKEW_SCALE = 4  # the skew search runs on a page reduced 4× (quarter scale)
MIN_SKEW_POINTS = 50  # fewer ink pixels than this (a blank page): no skew to measure
BORDER_DARK_LEVEL = 100  # a scanner lid / bed frame is near black; paper and its shadows are lighter
BORDER_DARK_FRACTION = 0.5  # a row or column that is mostly dark belongs to the frame (text rows stay < ~30 %)
BORDER_MAX_FRACTION = 0.25  # never crop more than a quarter of a side: beyond that it is a dark page, not a frame
BORDER_SAFETY_PX = 2  # step a little inside the frame: its edge is blurred on real scans
MIN_INK_CONTRAST = 50  # Otsu classes closer than this (grey levels) are paper noise, not ink (blank pages)
EDGE_BAND = 0.015  # outer band, 1.5 % of each side: ink there means content cut at the edge (DA/T 31-2017 §10.3)
PHASH_SIZE = 16
BITONAL_COLOURS = 2
COLOUR_CHROMA = 24  # a channel spread above this is real colour (red heads, stamps), not JPEG chroma noise
COLOUR_FRACTION = 0.001  # share of colour pixels that makes a page "colour" (a small red stamp counts)


@dataclass(frozen=True)
class ProcessingParameters:
    """Comes from the archiving scheme's QC profile; recorded in the ImagesProcessed event."""

    median_ksize: int = 3
    unsharp_sigma: float = 1.0
    unsharp_amount: float = 0.6
    crop_borders: bool = True
    binarise: bool = False  # also produce a bitonal (Otsu) TIFF G4 master
    web_long_side: int = 1600
    web_quality: int = 85
    thumb_long_side: int = 256

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ProcessingParameters:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class PageMetrics:
    width: int
    height: int
    skew_degrees: float
    residual_skew_degrees: float
    clarity: float
    ink_per_mille: float
    border_ink_per_mille: float
    colour_mode: str
    crop_box: tuple[int, int, int, int]
    phash: str

    def as_dict(self) -> dict:
        d = asdict(self)
        d["crop_box"] = list(self.crop_box)
        return d


@dataclass(frozen=True)
class ProcessedPage:
    web_jpeg: bytes
    thumbnail_jpeg: bytes
    bitonal_tiff: bytes | None
    metrics: PageMetrics


# --- colour and grey -------------------------------------------------------------------------------------------


def to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[:, :, 0]
    code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(image, code)


def colour_mode(image: np.ndarray) -> str:
    """ "colour" | "grey" | "bitonal", as DA/T 31-2017 §9.3 names the scanning modes."""
    if image.ndim == 3 and image.shape[2] >= 3 and _has_colour(image[:, :, :3]):
        return "colour"
    grey = to_grey(image)
    levels = np.bincount(grey[::2, ::2].ravel(), minlength=256)
    return "bitonal" if levels[1:255].sum() == 0 else "grey"


def _has_colour(bgr: np.ndarray) -> bool:
    sample = bgr[::4, ::4].astype(np.int16)  # every 16th pixel is plenty to see a stamp
    spread = sample.max(axis=2) - sample.min(axis=2)
    return bool(np.count_nonzero(spread > COLOUR_CHROMA) > COLOUR_FRACTION * spread.size)


# --- crop (裁边) ----------------------------------------------------------------------------------------------------


def crop_dark_borders(grey: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Cut away the scanner's dark frame. Must run before deskew: the frame's long straight edges sit at 0°
    and would win every skew search. Returns the paper and its box (x, y, w, h) in the input."""
    h, w = grey.shape
    dark = (grey < BORDER_DARK_LEVEL).astype(np.uint8)
    rows = cv2.reduce(dark, 1, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel()
    cols = cv2.reduce(dark, 0, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel()
    top, bottom = _frame_depth(rows), _frame_depth(rows[::-1])
    left, right = _frame_depth(cols), _frame_depth(cols[::-1])
    if max(top, bottom) > BORDER_MAX_FRACTION * h or max(left, right) > BORDER_MAX_FRACTION * w:
        return grey, (0, 0, w, h)
    box = (left, top, w - left - right, h - top - bottom)
    return grey[top : h - bottom, left : w - right], box


def _frame_depth(profile: np.ndarray) -> int:
    """How many lines from this edge belong to the frame (plus a safety margin if there is one)."""
    light = np.flatnonzero(profile <= BORDER_DARK_FRACTION)
    depth = int(light[0]) if light.size else profile.size
    return depth + BORDER_SAFETY_PX if depth else 0


# --- skew (旋转及纠偏) ----------------------------------------------------------------------------------------------


def measure_skew(grey: np.ndarray, limit: float = 5.0) -> float:
    """Skew in degrees, positive = content rotated counter-clockwise (as tests/pages.rotate).
    Projection profile on a quarter-scale page: coarse 0.5° steps over ±limit, then 0.05° around the best."""
    points = _ink_points(grey)
    if points is None:
        return 0.0
    coarse = _best_angle(points, np.arange(-limit, limit + 1e-9, SKEW_COARSE_STEP))
    return round(_fine_angle(points, coarse), 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def measure_residual_skew(grey: np.ndarray) -> float:
    """Skew left after deskew, over the whole ±5° range: a page laid on the glass more askew than deskew corrects
    (rotation beyond a few degrees blurs strokes; the page is better rescanned) shows here and fails QC."""
    return measure_skew(grey)


def _ink_points(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Centred (x, y) of the ink pixels of the quarter-scale page, or None when there is no ink."""
    h, w = grey.shape
    small = cv2.resize(grey, (max(1, w // SKEW_SCALE), max(1, h // SKEW_SCALE)), interpolation=cv2.INTER_AREA)
    threshold = _ink_threshold(np.bincount(small.ravel(), minlength=256))
    if threshold is None:
        return None
    ys, xs = np.nonzero(small <= threshold)
    if ys.size < MIN_SKEW_POINTS:
        return None
    return xs.astype(np.float32) - small.shape[1] / 2, ys.astype(np.float32) - small.shape[0] / 2


def _profile_score(points: tuple[np.ndarray, np.ndarray], degrees: float) -> float:
    """Sum of squares of the row profile after undoing `degrees`: text lines squeeze into sharp peaks when the
    angle is right. Each pixel is split between its two rows, so sub-pixel shifts (0.05° ≈ 0.5 px) still count."""
    xs, ys = points
    a = np.deg2rad(degrees)
    proj = ys * np.cos(a) + xs * np.sin(a)
    proj -= proj.min()
    low = proj.astype(np.int64)
    frac = proj - low
    profile = np.bincount(low, 1 - frac) + np.bincount(low + 1, frac)[: low.max() + 1]
    return float(np.dot(profile, profile))


def _best_angle(points: tuple[np.ndarray, np.ndarray], angles: np.ndarray) -> float:
    scores = [_profile_score(points, a) for a in angles]
    return float(angles[int(np.argmax(scores))])


def _fine_angle(points: tuple[np.ndarray, np.ndarray], centre: float) -> float:
    """0.05° steps over ±0.5° around `centre`, refined by a parabola through the best three scores."""
    angles = centre + np.arange(-SKEW_COARSE_STEP, SKEW_COARSE_STEP + 1e-9, SKEW_FINE_STEP)
    scores = np.array([_profile_score(points, a) for a in angles])
    i = int(np.argmax(scores))
    if 0 < i < len(scores) - 1:
        left, mid, right = scores[i - 1], scores[i], scores[i + 1]
        denom = left - 2 * mid + right
        if denom < 0:
            return float(angles[i] + SKEW_FINE_STEP * 0.5 * (left - right) / denom)
    return float(angles[i])


def deskew(grey: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate back by `degrees` about the centre, same canvas, paper-white fill (no black wedges in corners)."""
    if degrees == 0:
        return grey
    h, w = grey.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), -degrees, 1.0)
    return cv2.warpAffine(grey, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


# --- clean (去污) and measure (图像质量检查) --------------------------------------------------------------------------


def _clean(grey: np.ndarray, p: ProcessingParameters) -> tuple[np.ndarray, np.ndarray]:
    """Median removes specks (去污) without the cost of bilateral/NL-means; unsharp mask restores stroke edges.
    Returns (median-filtered, sharpened)."""
    median = cv2.medianBlur(grey, p.median_ksize) if p.median_ksize > 1 else grey
    if p.unsharp_amount <= 0:
        return median, median
    blurred = cv2.GaussianBlur(median, (0, 0), p.unsharp_sigma)
    return median, cv2.addWeighted(median, 1 + p.unsharp_amount, blurred, -p.unsharp_amount, 0)


def clarity(median: np.ndarray) -> float:
    """Variance of the Laplacian at half scale, after the median: noise would otherwise pass for sharpness,
    and our own unsharp mask must not raise the score of a blurred scan."""
    h, w = median.shape
    half = cv2.resize(median, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    _, std = cv2.meanStdDev(cv2.Laplacian(half, cv2.CV_32F))
    return round(float(std[0, 0]) ** 2, 2)


def _ink_threshold(hist: np.ndarray) -> int | None:
    """Otsu's threshold from a 256-bin histogram, or None when the two classes are too close in grey level
    to be ink on paper (a blank page's noise would otherwise be split in half and called ink)."""
    levels = np.arange(256, dtype=np.float64)
    hist = hist.astype(np.float64)
    weight0 = np.cumsum(hist)
    total = weight0[-1]
    weight1 = total - weight0
    mass0 = np.cumsum(hist * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean0 = mass0 / weight0
        mean1 = (mass0[-1] - mass0) / weight1
        between = weight0 * weight1 * (mean0 - mean1) ** 2
    between = np.nan_to_num(between)
    t = int(np.argmax(between))
    if between[t] <= 0 or mean1[t] - mean0[t] < MIN_INK_CONTRAST:
        return None
    return t


def _ink_counts(page: np.ndarray, threshold: int | None) -> tuple[float, float]:
    """(ink per mille of the page, ink per mille of its inkiest outer 1.5 % band). The sides are measured apart:
    text cut off at one edge must not be averaged away by three clean ones."""
    if threshold is None:
        return 0.0, 0.0
    h, w = page.shape
    bh, bw = max(1, round(EDGE_BAND * h)), max(1, round(EDGE_BAND * w))
    ink = page <= threshold
    bands = (ink[:bh, :], ink[h - bh :, :], ink[:, :bw], ink[:, w - bw :])
    edge = max(float(np.count_nonzero(band)) / band.size for band in bands)
    return round(1000 * int(np.count_nonzero(ink)) / (h * w), 3), round(1000 * edge, 3)


# --- derivatives -----------------------------------------------------------------------------------------------


def _resize_long_side(page: np.ndarray, long_side: int) -> np.ndarray:
    h, w = page.shape[:2]
    scale = long_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(page, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _jpeg(page: np.ndarray, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def _bitonal_tiff(page: np.ndarray, threshold: int | None) -> bytes:
    """CCITT G4 master (DA/T 31-2017 §9.3 allows 黑白二值 for plain black-text pages)."""
    cut = 127 if threshold is None else threshold
    out = io.BytesIO()
    Image.fromarray(page > cut).save(out, format="TIFF", compression="group4")
    return out.getvalue()


def phash(page: np.ndarray) -> str:
    return str(imagehash.phash(Image.fromarray(page), hash_size=PHASH_SIZE))


def phash_distance(a: str, b: str) -> int:
    if len(a) != len(b):
        raise ValueError("perceptual hashes of different sizes")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def access_pdf(web_jpegs: list[bytes], dpi: int = 150) -> bytes:
    """One access PDF from the pages' web JPEGs, in order."""
    if not web_jpegs:
        raise ValueError("no pages")
    images = [Image.open(io.BytesIO(data)) for data in web_jpegs]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return out.getvalue()


# --- the pipeline ----------------------------------------------------------------------------------------------


def process_page(image: np.ndarray, parameters: ProcessingParameters) -> ProcessedPage:
    """colour mode → grey → crop dark borders → measure skew → deskew → median → unsharp → metrics → derivatives."""
    mode = colour_mode(image)
    grey = to_grey(image)
    h, w = grey.shape
    paper, box = crop_dark_borders(grey) if parameters.crop_borders else (grey, (0, 0, w, h))
    skew = measure_skew(paper)
    straight = deskew(paper, skew)
    median, page = _clean(straight, parameters)
    threshold = _ink_threshold(cv2.calcHist([page], [0], None, [256], [0, 256]).ravel())
    ink, border_ink = _ink_counts(page, threshold)
    web = _resize_long_side(page, parameters.web_long_side)
    thumb = _resize_long_side(web, parameters.thumb_long_side)
    metrics = PageMetrics(
        width=page.shape[1],
        height=page.shape[0],
        skew_degrees=skew,
        residual_skew_degrees=measure_residual_skew(page),
        clarity=clarity(median),
        ink_per_mille=ink,
        border_ink_per_mille=border_ink,
        colour_mode=mode,
        crop_box=tuple(int(v) for v in box),
        phash=phash(web),  # the hash sees 64×64 anyway; hashing the web copy saves a full-size resize
    )
    return ProcessedPage(
        web_jpeg=_jpeg(web, parameters.web_quality),
        thumbnail_jpeg=_jpeg(thumb, parameters.web_quality),
        bitonal_tiff=_bitonal_tiff(page, threshold) if parameters.binarise else None,
        metrics=metrics,
    )
