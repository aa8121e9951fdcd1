"""How the longer commands (batch, bench, compare, faults, sale) show themselves, with rich:
their progress on stderr while they run, their results on stdout.

On a terminal: a spinner, a bar where the number of steps is known, the time elapsed, colours,
tables with a bold header. Anywhere else (a pipe, a file, CI, pytest's capture) rich
writes no escape code and draws no progress, so what is left is plain lines: the step lines as
they are printed, and tables as columns two spaces apart, flush left, the header on the first
line, never wrapped nor cut short with "…" (laid out in WIDE columns, not rich's default 80).
"""

import re
import time
from io import StringIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

WIDE = 1000  # columns to lay a plain table out in: no table of ours comes near, so none is wrapped
# A number, signed or not, maybe with its unit: "12", "-3", "0.52", "35%", "1.2 s", "2.10x".
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?( ?(%|x|s|ms))?")


def console(stderr=False, file=None):
    """A console on stdout (the results) or stderr (the progress). Texts are printed as given:
    no markup, emoji codes or highlighting, as a problem or an HTTP answer may hold "[...]" or ":x:"."""
    return Console(file=file, stderr=stderr, markup=False, emoji=False, highlight=False)


def table(headers, rows):
    """`rows` under `headers` (in bold on a terminal), every cell in full (folded, never elided,
    on a narrow terminal); a column whose every cell is a number (NUMBER) is right-aligned, its
    header too. No lines: they would only widen it, and a parser would have to skip them."""
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    grid = Table(box=None, pad_edge=False)
    for i, header in enumerate(headers):
        column = [row[i] for row in cells if row[i]]
        numeric = bool(column) and all(NUMBER.fullmatch(cell) for cell in column)
        grid.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for row in cells:
        grid.add_row(*row)
    return grid


def print_table(headers, rows, out=None):
    """On a terminal, fitted to its width; elsewhere, as table_lines."""
    out = out or console()
    if out.is_terminal:
        out.print(table(headers, rows))
    else:
        out.print("\n".join(table_lines(headers, rows)), soft_wrap=True)


def table_lines(headers, rows):
    """The table as plain lines (for a file, or a generator of lines such as bench's): no escape
    code whatever the environment says (FORCE_COLOR), no trailing spaces, WIDE enough for any."""
    text = StringIO()
    Console(file=text, width=WIDE, force_terminal=False, color_system=None).print(table(headers, rows))
    return [line.rstrip() for line in text.getvalue().splitlines()]


def _progress(err, *columns):
    """Drawn on a terminal only, and gone once done (the lines printed meanwhile stay). It
    leaves sys.stdout alone: rich would otherwise send stdout's writes through stderr while it
    runs, and results redirected to a file would end up on the terminal."""
    return Progress(
        SpinnerColumn(),
        *columns,
        TimeElapsedColumn(),
        console=err,
        transient=True,
        redirect_stdout=False,
        disable=not err.is_terminal,
    )


class Steps:
    """`total` steps, one after the other: a line on stderr as each begins, `[2/9] label ...`,
    notes under it, and on a terminal a bar below them all: the current label, the steps done
    out of `total`, the time elapsed."""

    def __init__(self, total, err=None):
        self.total, self.begun = total, 0
        self.progress = _progress(
            err or console(stderr=True),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
        )

    def __enter__(self):
        self.progress.start()
        self.task = self.progress.add_task("", total=self.total)
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def step(self, label, rest=" ..."):
        self.begun += 1
        self.progress.update(self.task, completed=self.begun - 1, description=label)
        self.note(f"[{self.begun}/{self.total}] {label}{rest}")

    def note(self, text, style=""):
        self.progress.console.print(Text(text, style=style), soft_wrap=True)


class Stamped:
    """Lines as they come, each after the seconds since the start, `[  1.23s] text`, on
    stdout; meanwhile, on a terminal, a spinner on stderr with `what` and the time elapsed."""

    def __init__(self, what, out=None, err=None):
        self.what, self.out = what, out or console()
        self.progress = _progress(err or console(stderr=True), TextColumn("{task.description}", markup=False))
        # With the spinner on the same terminal, the lines go through the spinner's console, which
        # prints them above it; written to stdout directly, they would land on the spinner's line.
        self.lines = self.progress.console if self.out.is_terminal and not self.progress.disable else self.out

    def __enter__(self):
        self.start = time.monotonic()
        self.progress.start()
        self.progress.add_task(self.what, total=None)
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def __call__(self, text):
        self._print(self.lines, text)

    def error(self, text):
        """On stderr, in red on a terminal."""
        self._print(self.progress.console, text, "red")

    def _print(self, where, text, style=""):
        stamp = f"[{time.monotonic() - self.start:6.2f}s] "
        where.print(Text.assemble((stamp, "dim"), (text, style)), soft_wrap=True)
