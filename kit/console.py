"""A small text progress bar for management commands (no extra dependency)."""

import sys


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
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        elif self.interactive:
            self.stream.write("\n")

    def _draw(self) -> None:
        ratio = self.done / self.total if self.total else 1.0
        if self.interactive:
            filled = int(self.width * ratio)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"\r{self.label} [{bar}] {ratio:4.0%} ({self.done}/{self.total})"
            self.stream.write(line)
            self.stream.flush()
            return
        quarter = int(ratio * 4)
        if quarter != self._last_quarter:
            self._last_quarter = quarter
            self.stream.write(f"{self.label} : {ratio:.0%} ({self.done}/{self.total})\n")
            self.stream.flush()
