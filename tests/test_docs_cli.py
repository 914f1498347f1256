"""docs/cli.en.md documents every command of `pol` and every long option of each.

The commands and options are read from the argparse parser itself, so a command
or option added to `pol` without a word in the CLI reference fails here.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from pol.cli import _parser

CLI_DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.en.md"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def _long_options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted({s for a in parser._actions for s in a.option_strings if s.startswith("--") and s != "--help"})


def _sections(text: str) -> dict[str, str]:
    """The text of each `## pol NAME` section, up to the next `## ` heading."""
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {m.group(1): part for part in parts if (m := re.match(r"pol (\S+)\n", part))}


DOC = CLI_DOC.read_text(encoding="utf-8")
SECTIONS = _sections(DOC)
COMMANDS = _subcommands()


def test_the_parser_has_the_known_commands():
    # Guards the walk over the parser: if it found nothing, the tests below would pass vacuously.
    assert {"check", "compile", "eval", "docs", "test", "diff", "fmt"} <= set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_section_and_a_row_in_the_table(command):
    assert command in SECTIONS, f"docs/cli.en.md has no `## pol {command}` section"
    assert re.search(rf"^\| `pol {command}\b", DOC, flags=re.MULTILINE), \
        f"`pol {command}` is missing from the table of commands in docs/cli.en.md"


@pytest.mark.parametrize("command, option", [(c, o) for c in sorted(COMMANDS) for o in _long_options(COMMANDS[c])])
def test_every_long_option_is_documented_in_its_commands_section(command, option):
    section = SECTIONS.get(command, "")
    assert re.search(rf"`{re.escape(option)}(?![\w-])", section), \
        f"`pol {command} {option}` is not documented in its section of docs/cli.en.md"


def test_the_top_level_options_are_documented():
    for option in _long_options(_parser()):
        assert re.search(rf"`pol {re.escape(option)}(?![\w-])", DOC), f"`pol {option}` is not in docs/cli.en.md"
