"""Run the `archive` command in-process, the way a shell would (stdout and stderr kept apart)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner

from web.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def archive(*args: str, stdin: str | None = None) -> Outcome:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)
