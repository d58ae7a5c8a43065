"""Progress of long commands on stderr: a line for each step, a bar for counted work; nothing
when stderr is not a terminal or the command's output is --json."""

from __future__ import annotations

import sys

import click

from docgen.progress import Reporter


class TerminalReporter(Reporter):
    def __init__(self, ctx: click.Context, stream=None):
        self.ctx = ctx
        self.stream = stream or sys.stderr

    @property
    def on(self) -> bool:
        # ctx.meta is shared with the subcommand's context, whose --json is known by now
        return not self.ctx.meta.get("json") and self.stream.isatty()

    def step(self, text: str) -> None:
        if self.on:
            click.secho(text, file=self.stream, dim=True)

    def items(self, iterable, total: int, label: str):
        if not self.on or total < 2:
            if total == 1:
                self.step(f"{label}……")
            yield from iterable
            return
        with click.progressbar(iterable, length=total, label=label, file=self.stream,
                               show_pos=True, show_eta=False) as bar:
            yield from bar
