"""Screens are Chinese by default: every message the pages and views can show has a Chinese translation (English
falls back to the message itself). Extracted with Babel from the code, as `pybabel extract` would."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[3] / "web"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def test_every_message_of_the_web_layer_has_a_chinese_translation() -> None:
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(str(WEB), METHODS, keywords=KEYWORDS)
    }
    with open(WEB / "translations/zh/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle)
    missing = sorted(m for m in found if m and not (catalogue.get(m) and catalogue.get(m).string))
    assert missing == [], f"{len(missing)} messages lack a Chinese translation: {missing[:10]}"
