"""Quality-check rules for scanned pages (DA/T 31-2017《纸质档案数字化规范》 in spirit; thresholds come from the
archiving scheme's QC profile). The measurements are taken elsewhere (image processing); this module only judges
them, so the rules can be read, tested and changed without OpenCV.

A reason is "check: detail", e.g. "blurred: clarity 46 < 100"; the check names are stable for scripts and the UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.scheme import DEFAULT_QC_PROFILE

CHECKS = (
    "resolution",
    "colour_mode",
    "blurred",
    "blank",
    "skewed",
    "cropped_content",
    "page_count",
    "duplicate",
    "near_duplicate",
)
COLOUR_ORDER = {"bitonal": 0, "grey": 1, "colour": 2}
A4_SHORT_INCHES = 8.27
# A page is between a receipt and A3: physical sizes outside this mean the recorded dpi is wrong.
PLAUSIBLE_SHORT_INCHES = (3.0, 12.5)
PLAUSIBLE_LONG_INCHES = (4.0, 18.0)


def profile_with_defaults(profile: Mapping[str, Any] | None) -> dict[str, Any]:
    """A scheme defined before a setting existed takes that setting's default."""
    return {**DEFAULT_QC_PROFILE, **(profile or {})}


def judge_page(metrics: Mapping[str, Any], profile: Mapping[str, Any]) -> list[str]:
    """The reasons one page fails, in CHECKS order; empty when it passes."""
    p = profile_with_defaults(profile)
    reasons = _resolution(metrics, int(p["min_dpi"]))
    wanted = str(p["min_colour_mode"])
    if COLOUR_ORDER.get(str(metrics["colour"]), 0) < COLOUR_ORDER.get(wanted, 1):
        reasons.append(f"colour_mode: {metrics['colour']}, the profile asks for {wanted} or better")
    blank = float(metrics["ink_per_mille"]) < int(p["blank_ink_per_mille"])
    if not blank and float(metrics["clarity"]) < int(p["min_clarity"]):
        reasons.append(f"blurred: clarity {float(metrics['clarity']):.0f} < {p['min_clarity']}")
    if blank:
        reasons.append(f"blank: ink {float(metrics['ink_per_mille']):.2f}‰ < {p['blank_ink_per_mille']}‰")
    skew = abs(float(metrics["residual_skew_degrees"]))
    if skew * 10 > int(p["max_skew_tenths"]):
        reasons.append(f"skewed: {skew:.2f}° left after deskewing > {int(p['max_skew_tenths']) / 10:.1f}°")
    if float(metrics["border_ink_per_mille"]) > int(p["max_border_ink_per_mille"]):
        reasons.append(
            f"cropped_content: ink at the page edge {float(metrics['border_ink_per_mille']):.0f}‰ > {p['max_border_ink_per_mille']}‰"
        )
    return reasons


def _resolution(metrics: Mapping[str, Any], minimum: int) -> list[str]:
    width, height, dpi = int(metrics["width"]), int(metrics["height"]), metrics.get("dpi")
    short, long = sorted((width, height))
    if not dpi:
        estimate = short / A4_SHORT_INCHES
        if estimate < minimum:
            return [f"resolution: no dpi recorded, and {width}×{height} px is about {estimate:.0f} dpi for A4 < {minimum}"]
        return []
    dpi = int(dpi)
    if dpi < minimum:
        return [f"resolution: {dpi} dpi < {minimum}"]
    inches = (short / dpi, long / dpi)
    if not (
        PLAUSIBLE_SHORT_INCHES[0] <= inches[0] <= PLAUSIBLE_SHORT_INCHES[1]
        and PLAUSIBLE_LONG_INCHES[0] <= inches[1] <= PLAUSIBLE_LONG_INCHES[1]
    ):
        cm = f"{inches[0] * 2.54:.1f}×{inches[1] * 2.54:.1f} cm"
        return [f"resolution: the file says {dpi} dpi, but then the page would measure {cm}; the recorded resolution is wrong"]
    return []


def judge_record(
    pages: Mapping[str, Mapping[str, Any]], profile: Mapping[str, Any], declared_pages: int | None = None
) -> dict[str, list[str]]:
    """Reasons per page number (and "record" for the page count); pages without reasons are left out."""
    p = profile_with_defaults(profile)
    failures: dict[str, list[str]] = {}
    if declared_pages is not None and declared_pages != len(pages):
        failures["record"] = [f"page_count: {len(pages)} pages scanned, {declared_pages} declared"]
    seen: list[tuple[str, Mapping[str, Any]]] = []
    for no, metrics in sorted(pages.items(), key=lambda item: int(item[0])):
        reasons = judge_page(metrics, p)
        reasons += _duplicates(metrics, seen, int(p["near_duplicate_bits"]))
        if reasons:
            failures[no] = reasons
        seen.append((no, metrics))
    return failures


def _duplicates(metrics: Mapping[str, Any], seen: list[tuple[str, Mapping[str, Any]]], bits: int) -> list[str]:
    for no, other in seen:
        if other["pixels_sha256"] == metrics["pixels_sha256"]:
            return [f"duplicate: the same image as page {no}"]
    for no, other in seen:
        distance = hamming(str(other["phash"]), str(metrics["phash"]))
        if distance <= bits:
            return [f"near_duplicate: looks like page {no} (perceptual hash distance {distance} ≤ {bits})"]
    return []


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes of the same length."""
    if len(a) != len(b):
        return max(len(a), len(b)) * 4
    return bin(int(a, 16) ^ int(b, 16)).count("1")
