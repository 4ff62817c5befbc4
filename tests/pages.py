"""Realistic test pages, generated: Chinese official-document text rendered with a CJK font at 300 dpi, and the
defects scanners produce (rotation by a known angle, noise, blur, dark borders, blank pages).

The font comes from Debian's fonts-wqy-zenhei or fonts-noto-cjk (.ci/run installs them)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

A4_300DPI = (2480, 3508)  # width, height in pixels
FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
LINES = [
    "上海市人民政府办公厅文件",
    "沪府办〔2011〕15号",
    "关于进一步加强机关档案管理工作的通知",
    "各区县人民政府，市政府各委、办、局：",
    "为规范文件材料的收集、整理与归档，根据《中华人民共和国档案法》",
    "和有关规定，结合本市实际，现就做好2011年度文书档案",
    "电子化归档工作的有关事项通知如下，请认真贯彻执行。",
    "一、各单位应于2012年3月31日前完成上年度文件的整理归档。",
    "二、纸质档案数字化应符合DA/T 31-2017的要求，分辨率不低于300dpi。",
    "三、电子文件应当同时移交元数据，格式为PDF/A或OFD。",
    "四、联系人：王明，电话021-63211234，邮箱 archive@sh.gov.cn",
    "上海市人民政府办公厅",
    "2011年3月5日",
]


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise RuntimeError("no CJK font: install Debian's fonts-wqy-zenhei (see .ci/run)")


def render_page(
    lines: list[str] | None = None, size: tuple[int, int] = A4_300DPI, font_px: int = 44, margin: int = 250, line_gap: float = 1.9
) -> np.ndarray:
    """A clean grey page (uint8, white paper, black text) with the given lines from the top margin down."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    y = margin
    for line in LINES if lines is None else lines:
        draw.text((margin, y), line, fill=0, font=font(font_px))
        y += int(font_px * line_gap)
    return np.asarray(page).copy()


def rotate(image: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate counter-clockwise by `degrees` about the centre (as a page laid askew on the glass), paper-white fill."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def add_noise(image: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)


def dark_border(image: np.ndarray, width: int = 60, value: int = 25) -> np.ndarray:
    """The scanner lid's black frame around the paper."""
    out = image.copy()
    out[:width, :], out[-width:, :], out[:, :width], out[:, -width:] = value, value, value, value
    return out


def blank_page(size: tuple[int, int] = A4_300DPI, noise: float = 3.0) -> np.ndarray:
    return add_noise(np.full((size[1], size[0]), 250, np.uint8), noise)


def encode(image: np.ndarray, kind: str = "png", dpi: int | None = 300, pages: list[np.ndarray] | None = None) -> bytes:
    """The page as a scanner would deliver it: PNG, JPEG or (multi-page) TIFF, with its resolution recorded."""
    import io

    frames = [Image.fromarray(p) for p in ([image] if pages is None else pages)]
    out = io.BytesIO()
    options: dict = {"dpi": (dpi, dpi)} if dpi else {}
    if kind == "tiff":
        frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw", **options)
    elif kind == "jpeg":
        frames[0].save(out, format="JPEG", quality=90, **options)
    else:
        frames[0].save(out, format="PNG", **options)
    return out.getvalue()
