"""What long work is doing, told to whoever listens (the CLI, on a terminal's stderr).

Library code marks its long steps with `step` and wraps its long loops in `items`; they cost
nothing when nobody listens. A shell that wants to show them wraps the work in `reporting`,
which holds for the current thread (a context variable), so a web request's conversions never
write to a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Reporter:
    """Shows steps and counted loops; this one shows nothing."""

    def step(self, text: str) -> None:
        pass

    def items(self, iterable: Iterable, total: int, label: str) -> Iterator:
        yield from iterable


_current: ContextVar[Reporter] = ContextVar("docgen_progress", default=Reporter())


@contextmanager
def reporting(reporter: Reporter):
    token = _current.set(reporter)
    try:
        yield reporter
    finally:
        _current.reset(token)


def step(text: str) -> None:
    """A step that may take a while has started ("正在启动 LibreOffice……")."""
    _current.get().step(text)


def items(iterable: Iterable, total: int, label: str) -> Iterator:
    """The iterable, counted off against `total` under `label` ("转换 PDF")."""
    return _current.get().items(iterable, total, label)
