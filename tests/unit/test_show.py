"""The longer commands' output (crash_sim/show.py) off a terminal, as CI, pipes and pytest see
it: plain lines and tables that the e2e tests parse, no escape code, nothing wrapped or cut."""

import re
from io import StringIO

import pytest
from rich.console import Console

from busi.scenarios import compare
from crash_sim import audit, faults, show
from crash_sim.__main__ import main
from tests.e2e.test_batch import FIGURE

LONG_LABEL = "a fault whose label is much longer than any of the matrix's: " + "x" * 150


@pytest.fixture(autouse=True)
def no_forced_terminal(monkeypatch):
    """rich takes a file for a terminal when these say so; off a terminal is the case here."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)


def printed(headers, rows):
    out = StringIO()
    show.print_table(headers, rows, show.console(file=out))
    return out.getvalue()


def test_a_table_is_plain_aligned_columns_numbers_right_aligned():
    text = printed(
        ["fault", "buyers", "held", "recovered in"], [["redis", 200, "held", "0.1 s"], ["mysql", 5, "BROKEN", "12.5 s"]]
    )
    assert text.splitlines() == [
        "fault  buyers  held    recovered in",
        "redis     200  held           0.1 s",
        "mysql       5  BROKEN        12.5 s",
    ]


def test_a_column_with_a_word_in_it_stays_left_aligned():
    assert printed(["stock left"], [[0], ["gone"]]).splitlines() == ["stock left", "0", "gone"]


def test_the_fault_table_keeps_long_labels_whole_on_one_line():
    rows = [
        [LONG_LABEL, 200, 60, 15, 60, 40, 60, 0, 0, "held", "0.1 s", 2, 3, "8 answered 5xx, held by DTM, rolled back"],
        ["short", 5, 1, 0, 1, 1, 1, "gone", 0, "BROKEN", "120.0 s", 0, 0, "NOT SEEN"],
    ]
    text = printed(faults.HEADERS, rows)
    header, long_row, short_row = text.splitlines()
    assert "\x1b" not in text and "…" not in text
    assert header.split() == " ".join(faults.HEADERS).split()
    assert long_row.startswith(LONG_LABEL + "  ") and " held " in long_row
    assert long_row.index("held") == short_row.index("BROKEN") == header.index("held")  # one column
    assert long_row.endswith("rolled back") and short_row.endswith("NOT SEEN")  # the witness, whole


def test_the_compare_table_fits_its_twelve_columns_on_one_line():
    row = ["twostores", 100, 900, 100, 0, 0, 0, "1523", "2011", "87", 0, 3]
    header, line = printed(compare.HEADERS, [row]).splitlines()
    assert header.startswith("strategy ") and header.endswith("with crashes: oversold  lost")
    assert line.split() == [str(cell) for cell in row]


def test_table_lines_have_no_trailing_spaces_and_parse_as_bench_s_figures():
    rows = [
        ["dtm success / bare DTM msg", "0.61", ">= 0.5", "met"],
        ["GET /stock / trivial /ping", "0.52", ">= 0.7", "NOT met"],
    ]
    lines = show.table_lines(["figure", "ratio", "target", ""], rows)
    assert all(line == line.rstrip() for line in lines)
    assert [FIGURE.match(line).groups() for line in lines[1:]] == [
        ("dtm success / bare DTM msg", "0.61", "0.5", "met"),
        ("GET /stock / trivial /ping", "0.52", "0.7", "NOT met"),
    ]


def test_steps_off_a_terminal_are_their_plain_lines_only():
    err = StringIO()
    with show.Steps(2, show.console(stderr=True, file=err)) as steps:
        steps.step("redis down 3 s")
        steps.note("    BROKEN: the stock key is gone [bold]: " + "y" * 300, style="red")
        steps.step("mysql", ": skipped")
    assert err.getvalue().splitlines() == [
        "[1/2] redis down 3 s ...",
        "    BROKEN: the stock key is gone [bold]: " + "y" * 300,
        "[2/2] mysql: skipped",
    ]


def test_stamped_lines_go_to_stdout_and_errors_to_stderr():
    out, err = StringIO(), StringIO()
    with show.Stamped("batch", show.console(file=out), show.console(stderr=True, file=err)) as stamp:
        stamp("reset product 1: stock 4, orders 0")
        stamp.error("error: boom")
    assert re.fullmatch(r"\[  0\.\d\ds\] reset product 1: stock 4, orders 0\n", out.getvalue())
    assert re.fullmatch(r"\[  0\.\d\ds\] error: boom\n", err.getvalue())


def test_on_one_terminal_the_lines_go_above_the_spinner():
    out, err = StringIO(), StringIO()
    terminal = dict(force_terminal=True, width=100)
    with show.Stamped("batch", Console(file=out, **terminal), Console(file=err, **terminal)) as stamp:
        stamp("reset product 1")
    assert out.getvalue() == "" and "reset product 1" in err.getvalue()


class FakeMatrix:
    """faults.Matrix's rows without a stack: the Redis row is BROKEN, the DTM row not runnable."""

    def __init__(self, config, buyers, stock):
        self.buyers, self.stock = buyers, stock

    def runnable(self, fault):
        return fault.server != "dtm"

    def run(self, fault):
        gids = [f"gid-{n}" for n in range(self.stock)]
        left = None if fault.server == "redis" else 0
        succeeded, settled = dict.fromkeys(gids, "succeed"), dict.fromkeys(gids, 0.1)
        result = audit.Audit(
            self.stock,
            left,
            gids,
            succeeded,
            settled,
            0,
            statuses=["created"] * len(gids),
            amounts=[1] * len(gids),
            buyers=list(range(len(gids))),
        )
        return faults.Row(fault, self.buyers, self.stock, result, errored=1, retried=2, sold_at_fault=self.stock // 4)


def test_the_faults_command_prints_its_steps_then_the_table(monkeypatch, capsys):
    monkeypatch.setattr(faults, "Matrix", FakeMatrix)
    assert main(["faults", "--only", "after_submit", "redis_kill", "dtm_kill", "--stock", "15"]) == 1
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        "[1/3] purchase dies after submit ...",
        "[2/3] Redis SIGKILL, back 2 s later ...",
        "    BROKEN: the stock key is gone: Redis lost it (15 orders exist)",
        "[3/3] DTM SIGKILL, back 2 s later: skipped, DTM_URL names a server this stack did not start",
    ]
    header, held, broken = out.out.splitlines()  # as tests/e2e/test_faults.py reads it
    assert header.split() == " ".join(faults.HEADERS).split()
    assert held.startswith("purchase dies after submit") and " held " in held
    assert broken.startswith("Redis SIGKILL, back 2 s later") and " gone " in broken and " BROKEN " in broken


class FakeComparison:
    """compare.Comparison's sales without a stack: twostores loses the crashed units."""

    def __init__(self, config, stock, buyers, concurrency):
        self.stock, self.buyers = stock, buyers

    def run(self, strategy, crashes=0):
        lost = crashes if strategy == "twostores" else 0
        answers = [(200, 0.01 * n, 0.01) for n in range(self.stock - lost)]
        answers += [(None, 0.5, 0.01)] * lost  # the crash purchases, one unit each: their process died
        answers += [(409, 1 + 0.01 * n, 0.01) for n in range(self.buyers - len(answers))]
        return compare.Sale(self.stock, answers, 0, self.stock - lost, died_with=lost)


def test_the_compare_command_prints_its_steps_then_the_table(monkeypatch, capsys):
    monkeypatch.setattr(compare, "Comparison", FakeComparison)
    assert main(["compare", "--stock", "20", "--buyers", "120", "--only", "rowlock", "twostores"]) == 0
    out = capsys.readouterr()
    assert out.err.splitlines()[1::2] == [
        "    rowlock: correct, crashes included, as expected",
        "    twostores: loses the crashed purchases' units, as expected",
    ]
    table = {line.split()[0]: line.split() for line in out.out.splitlines()[1:]}  # as tests/e2e/test_strategies.py
    assert set(table) == {"rowlock", "twostores"}
    assert table["twostores"][-1] == str(compare.CRASHES) and table["rowlock"][-2:] == ["0", "0"]
