"""Errors a clerk can act on.

Every user-facing failure is a DocgenError carrying a Simplified Chinese message and, where
known, the file, line and field it concerns. The CLI prints them and exits 1; nothing else
in the package prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file + (f" 第{self.line}行" if self.line else ""))
        if self.field:
            where.append(f"字段「{self.field}」")
        return ("，".join(where) + "：" if where else "") + self.message

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class DocgenError(Exception):
    """A failure caused by the input or the environment, explained in Chinese."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def located(message: str, file: Path | str | None = None, line: int | None = None,
            field: str | None = None) -> DocgenError:
    """Shorthand for an error about one place in one file."""
    return DocgenError(Problem(message, str(file) if file else None, line, field))
