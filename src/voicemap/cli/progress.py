"""A progress line for long files: rewritten in place on a terminal, sparse in logs."""

from __future__ import annotations

import sys
import time

import click

MIN_STATEMENTS = 300  # short files finish before a progress line would help


class ProgressLine:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last_quarter: dict[str, int] = {}
        self.open = False

    def __call__(self, name: str, done: int, total: int) -> None:
        if total < MIN_STATEMENTS:
            return
        rate = done / max(1e-6, time.monotonic() - self.started)
        line = f"  {name}: tagged {done:,}/{total:,} statements ({rate:,.0f}/s)"
        if self.tty:
            click.echo("\r" + line.ljust(78), nl=False, err=True)
            self.open = done < total
            if not self.open:
                click.echo("", err=True)
        else:
            quarter = 4 * done // total
            if quarter > self.last_quarter.get(name, 0) or done == total:
                self.last_quarter[name] = quarter
                click.echo(line, err=True)

    def reset(self) -> None:
        self.started = time.monotonic()
