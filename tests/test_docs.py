"""The docs are tested: every CLI option, drift measure and check type is documented."""

import re
from pathlib import Path

import pytest

from sagewatch.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
DECISIONS = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("command", ["baseline", "monitor", "merge", "report", "demo"])
def test_every_cli_option_is_documented(command):
    sub = _subcommands()[command]
    section = CLI_DOC.split(f"## sagewatch {command}\n", 1)[1].split("\n## ", 1)[0]
    for action in sub._actions:
        for option in action.option_strings:
            if option.startswith("--"):
                assert option in section, f"{command} {option} is not in docs/cli.md"
        assert action.help, f"{command} {action.option_strings or action.dest} has no help text"


def test_readme_shows_exactly_the_two_setup_commands():
    setup = README.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \w+)", setup, flags=re.M)
    assert commands == ["make demo", "make test"]


def test_every_drift_measure_is_documented():
    from sagewatch.drift.registry import available_measures
    for key in available_measures():
        assert f"`{key}`" in README or f"`{key}`" in DECISIONS, key


def test_every_check_type_is_documented():
    from sagewatch.schemas.constraints import CHECK_TYPES
    for check in CHECK_TYPES:
        assert f"`{check}`" in DECISIONS, check
