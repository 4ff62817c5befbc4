"""A highlighted excerpt of a stored text: every character HTML-escaped, each match wrapped in <mark>."""

from __future__ import annotations

import html
from bisect import bisect_left

from infrastructure.search.bigrams import folded

WIDTH = 120
LEAD = 20  # characters shown before the first match in the window
MAX_MATCHES = 200


def match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where any term occurs in the text (case-folded), overlapping and touching spans merged."""
    haystack, spans = folded(text), []
    for term in terms:
        start = haystack.find(term)
        while start >= 0 and len(spans) < MAX_MATCHES:
            spans.append((start, start + len(term)))
            start = haystack.find(term, start + 1)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def snippet(text: str, terms: list[str]) -> str:
    """The window of the text with the most matches; "" when nothing matches."""
    spans = match_spans(text, terms)
    if not spans:
        return ""
    starts = [s for s, _ in spans]  # sorted: the matches a window opened at match i holds are a run from i
    best = max(range(len(spans)), key=lambda i: bisect_left(starts, starts[i] - LEAD + WIDTH, lo=i) - i)
    start = max(0, spans[best][0] - LEAD)
    end = min(len(text), start + WIDTH)
    out, cursor = ["…" if start else ""], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out += [html.escape(text[cursor:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
        cursor = e
    out += [html.escape(text[cursor:end]), "…" if end < len(text) else ""]
    return "".join(out)
