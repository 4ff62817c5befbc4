"""Languages: Chinese by default, English on request (a ?lang= link sets a cookie). Message catalogues are kept as
.po files in web/translations and compiled into ARCHIVE_HOME at start-up (no build step to forget)."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request

LANGUAGES = {"zh": "中文", "en": "English"}
SOURCE = Path(__file__).parent / "translations"


def pick_language() -> str:
    chosen = request.args.get("lang") or request.cookies.get("lang")
    return chosen if chosen in LANGUAGES else "zh"


def compile_translations(target: Path) -> Path:
    for po in SOURCE.glob("*/LC_MESSAGES/messages.po"):
        mo = target / po.relative_to(SOURCE).with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            partial = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
            with partial.open("wb") as out:
                write_mo(out, catalog)
            os.replace(partial, mo)  # a process reading the catalogue meanwhile sees the old one or the new one
    return target
