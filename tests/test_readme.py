"""The README is a contract: its commands exist and CI runs its test command verbatim."""

from __future__ import annotations

import re

from click.testing import CliRunner

from conftest import ROOT
from voicemap.cli import main

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_quick_start_has_two_commands_and_ci_runs_the_test_one():
    commands = _quick_start_commands()
    assert len(commands) == 2
    setup_and_demo, tests = commands
    assert "voicemap demo" in setup_and_demo and "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_every_command_in_the_readme_table_exists():
    table_commands = re.findall(r"^\| `voicemap ([a-z-]+(?: [a-z]+)?)", README, flags=re.M)
    assert table_commands
    runner = CliRunner()
    for command in table_commands:
        words = [w for w in command.split() if not w.startswith("-")]
        result = runner.invoke(main, [*words, "--help"])
        assert result.exit_code == 0, f"README names `voicemap {command}` but the CLI does not know it"
