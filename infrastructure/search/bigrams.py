"""Overlapping character bigrams with positions, so a query term is matched as an exact substring.

RESEARCH.md measured recall for two-character words inside long Chinese sentences: the default tokenizer ~0%, jieba
pre-segmentation 24-68% (it splits words differently in context), overlapping bigrams 100%. tantivy's own n-gram
tokenizer puts every gram at position 0, so "bigrams all present" is the best it can ask and 档号 ...-0001 would
also find ...-0002. Here the text is cut into bigrams before indexing and indexed with the whitespace tokenizer:
each gram gets the next position, and a term becomes a phrase of its consecutive bigrams (= a substring match).
"""

from __future__ import annotations

import unicodedata

import numpy as np

# Ends every whitespace-separated run, so that no phrase spans two runs ("ab bcd" must not match "abcd").
SEPARATOR = "\ue000"
_SPACE, _SEP = 32, ord(SEPARATOR)


class _FoldTable(dict[int, int]):
    """str.translate table, filled on first sight of each character: compatibility-normalised and case-folded
    (全角 "２００１" finds "2001"), whitespace to a plain space; always one character for one, so offsets hold."""

    def __missing__(self, key: int) -> int:
        char = chr(key)
        if char.isspace() or key == _SEP:
            value = _SPACE
        else:
            folded = unicodedata.normalize("NFKC", char).casefold()
            value = ord(folded) if len(folded) == 1 else ord(char.lower()[0])
        self[key] = value
        return value


_FOLD = _FoldTable()


def folded(text: str) -> str:
    return text.translate(_FOLD)


def runs(text: str) -> list[str]:
    return folded(text).split()


def characters(texts: list[str]) -> str:
    """Every character of the texts as its own token (folded, spaces dropped): a one-character query term is then a
    term query on one field. Asked as a regex over the bigram dictionary, it cost one automaton walk per field and
    union of thousands of posting lists (issue 11: 100 such terms took seconds)."""
    return " ".join(folded("".join(texts)).replace(" ", ""))


def grams(run: str) -> list[str]:
    """A run's bigrams in order; a one-character run is its own token."""
    return [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]


def tokens(text: str) -> str:
    """The text as the index sees it: each run's bigrams, then SEPARATOR, all separated by spaces."""
    text = folded(text)
    if len(text) < _VECTORISE_FROM:
        return " ".join(" ".join(grams(run)) + " " + SEPARATOR for run in text.split())
    return _vectorised_tokens(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32))


# Below this length numpy's per-call overhead costs more than the Python loop saves.
_VECTORISE_FROM = 48


def _vectorised_tokens(points: np.ndarray) -> str:
    """tokens() over code points, four per output slot (gram, gram, space, space): this runs for every field of
    every record on rebuild, and a Python loop over slices was the slowest step of indexing."""
    space = points == _SPACE
    next_space, prev_space, following = np.empty_like(space), np.empty_like(space), np.empty_like(points)
    next_space[:-1], next_space[-1] = space[1:], True
    prev_space[1:], prev_space[0] = space[:-1], True
    following[:-1], following[-1] = points[1:], _SPACE
    out = np.full((len(points), 4), _SPACE, dtype=np.uint32)
    pair = ~space & ~next_space  # a bigram starts here
    out[pair, 0] = points[pair]
    out[pair, 1] = following[pair]
    run_end = ~space & next_space
    single = run_end & prev_space  # a one-character run: the character, then the separator
    out[run_end & ~prev_space, 0] = _SEP
    out[single, 0] = points[single]
    out[single, 2] = _SEP
    return out.tobytes().decode("utf-32-le")
