"""The console helpers of the management commands: the progress bar (redrawn in place on
a terminal, one line per quarter in logs) and quiet loggers."""

import io
import logging

from django.core.management.base import BaseCommand

from kit.console import ProgressBar, quiet_loggers


class Terminal(io.StringIO):
    def isatty(self):
        return True


def command_stderr(stream):
    """The error stream a management command hands to the bar (Django's OutputWrapper,
    which ends every write with a newline and colours it red on a terminal)."""
    return BaseCommand(stderr=stream).stderr


def test_on_a_terminal_the_bar_is_redrawn_in_place_through_a_command_stream():
    terminal = Terminal()

    with ProgressBar("Territoires", 4, command_stderr(terminal)) as bar:
        for _ in range(4):
            bar.advance()

    output = terminal.getvalue()
    assert output.count("\n") == 1
    assert output.endswith("Territoires [##############################] 100% (4/4)\n")
    assert "\x1b[" not in output  # no colour: it is not an error


def test_in_logs_one_line_per_quarter():
    log = io.StringIO()

    with ProgressBar("Territoires", 10, command_stderr(log)) as bar:
        for _ in range(10):
            bar.advance()

    assert log.getvalue().splitlines() == [
        "Territoires : 0% (0/10)",
        "Territoires : 30% (3/10)",
        "Territoires : 50% (5/10)",
        "Territoires : 80% (8/10)",
        "Territoires : 100% (10/10)",
    ]


def test_quiet_loggers_drop_info_lines_for_the_block_then_restore_the_level(caplog):
    caplog.set_level(logging.INFO)
    chatty = logging.getLogger("tests.chatty")
    chatty.setLevel(logging.DEBUG)

    with quiet_loggers("tests.chatty"):
        chatty.info("one line per task")
        chatty.warning("a task failed")
    chatty.info("after the block")

    assert [r.getMessage() for r in caplog.records if r.name == "tests.chatty"] == [
        "a task failed",
        "after the block",
    ]
    assert chatty.level == logging.DEBUG
