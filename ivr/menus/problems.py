"""Problems found in a menu document, each with its place in the file."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class MenuProblem:
    """One thing wrong (or suspicious) in a menu document.

    ``line`` and ``col`` are 1-based; ``path`` is dotted from the document
    root, e.g. ``nodes.principal.options.3.next`` ("" for the whole file).
    """

    filename: str
    line: int
    col: int
    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.filename}:{self.line}:{self.col}"
        prefix = "" if self.severity == "error" else "aviso: "
        if self.path:
            return f"{where}: {self.path}: {prefix}{self.message}"
        return f"{where}: {prefix}{self.message}"


class MenuInvalid(Exception):
    """A menu document has at least one error; ``problems`` lists them all."""

    def __init__(self, problems: list[MenuProblem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        shown = "\n".join(str(p) for p in problems)
        super().__init__(f"o menu tem {len(errors)} erro(s):\n{shown}")


def did_you_mean(name: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str:
    """``" (você quis dizer 'principal'?)"`` for the closest of ``choices``, or ""."""
    hint = difflib.get_close_matches(name, list(choices), n=1, cutoff=cutoff)
    return f" (você quis dizer {hint[0]!r}?)" if hint else ""
