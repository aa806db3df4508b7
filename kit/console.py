"""Console helpers for management commands: a small text progress bar (no extra
dependency) and a way to keep chatty loggers quiet for the length of a command.

Kept rather than tqdm: in logs and CI (not a terminal) it writes one line per quarter,
where tqdm writes every redraw joined by carriage returns on one line, or nothing."""

import logging
import sys
from contextlib import contextmanager

from django.core.management.base import OutputWrapper


@contextmanager
def quiet_loggers(*names: str, level: int = logging.WARNING):
    """Raise these loggers to ``level`` while the block runs, then put their levels
    back (e.g. the one line per task that eager Celery tasks log, hundreds of them
    while the demo loads)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, previous in zip(loggers, levels, strict=True):
            logger.setLevel(previous)


class ProgressBar:
    """Draws ``label [#####-----]  50 % (5/10)`` on a terminal, redrawn in place;
    on a non-terminal stream (logs, CI) prints one line per quarter instead."""

    width = 30

    def __init__(self, label: str, total: int, stream=None):
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.interactive = bool(isatty and isatty())
        self._last_quarter = -1
        self._draw()

    def advance(self, step: int = 1) -> None:
        self.done = min(self.total, self.done + step)
        self._draw()

    def close(self) -> None:
        self.done = self.total
        self._draw()
        if self.interactive:
            self._write("\n")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        elif self.interactive:
            self._write("\n")

    def _draw(self) -> None:
        ratio = self.done / self.total if self.total else 1.0
        if self.interactive:
            filled = int(self.width * ratio)
            bar = "#" * filled + "-" * (self.width - filled)
            self._write(f"\r{self.label} [{bar}] {ratio:4.0%} ({self.done}/{self.total})")
            return
        quarter = int(ratio * 4)
        if quarter != self._last_quarter:
            self._last_quarter = quarter
            self._write(f"{self.label} : {ratio:.0%} ({self.done}/{self.total})\n")

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            # A command's stderr: as it is, not ended by a newline nor coloured as an error.
            self.stream.write(text, style_func=str, ending="")
        else:
            self.stream.write(text)
        self.stream.flush()
