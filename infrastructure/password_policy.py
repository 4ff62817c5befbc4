"""What makes a password acceptable: NIST SP 800-63B-4 §3.1.1.2, applied wherever one is set (a new account, a
reset, a change of one's own).

- At least 15 characters: the password is the only factor here (SP 800-63B-4 asks 15 for that, 8 only beside a
  second factor). At most 256, so that any passphrase fits and no input is unbounded.
- Any printable character, spaces and all of Unicode included, compared after NFKC normalisation (the same password
  typed on another keyboard is the same password); no control characters.
- Not a common or breached password (the 30,000 most common of the breach corpora zxcvbn ships), not made of
  repetition, sequences, keyboard walks or dictionary words alone, not built on the user's name or the service's:
  zxcvbn's estimate must be at least "safely unguessable" (score 3, ~10^8 guesses and more).
- No composition rules (no "one digit, one symbol"): SP 800-63B-4 forbids them.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from domain.errors import InvalidValue

SHORTEST = 15
LONGEST = 256
SAFELY_UNGUESSABLE = 3
SERVICE_WORDS = ("archive", "records", "档案", "档案馆", "archivist")


def normalised(password: str) -> str:
    """The form a password is hashed and compared in (NIST SP 800-63B-4: NFKC or NFKD, the same every time)."""
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


class NistPasswordPolicy:
    """The PasswordPolicy port (application/ports.py) with zxcvbn's lists and estimator."""

    def normalised(self, password: str) -> str:
        return normalised(password)

    def check(self, password: str, username: str = "") -> str:
        return check(password, username)


def check(password: str, username: str = "") -> str:
    """The normalised password if it is acceptable; otherwise InvalidValue saying which rule it breaks."""
    text = normalised(password)
    if len(text) < SHORTEST:
        raise InvalidValue(f"a password has at least {SHORTEST} characters (a phrase of a few words is easiest)")
    if len(text) > LONGEST:
        raise InvalidValue(f"a password has at most {LONGEST} characters")
    if any(unicodedata.category(c) in ("Cc", "Cn", "Cs") for c in text):
        raise InvalidValue("a password has no control characters")
    folded = text.casefold()
    if folded in _common() or folded.strip() in _common():
        raise InvalidValue("this password is one of the most common ones, known to every attacker: choose another")
    name = username.strip().casefold()
    if len(name) >= 3 and name in folded:
        raise InvalidValue("a password does not contain the user name")
    estimate = zxcvbn(text[:100], user_inputs=[name, *SERVICE_WORDS])  # zxcvbn's cost grows with length; 100 suffice
    if estimate["score"] < SAFELY_UNGUESSABLE:
        warning = estimate["feedback"].get("warning") or "it is made of repetition, a sequence or common words"
        raise InvalidValue(f"this password is too easy to guess ({warning.rstrip('.').lower()}): add a few unusual words")
    return text
