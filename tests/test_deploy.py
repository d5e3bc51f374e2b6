"""deploy/: the systemd unit systemd would accept, and a token that never shows in `ps`."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import TOKEN_ENV, load_settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNIT = DEPLOY / "qabot.service"


def _service() -> dict[str, list[str]]:
    """The [Service] section's settings, each with every value it is given."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service":
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_the_token_comes_from_the_environment_file_not_the_command_line() -> None:
    service = _service()
    assert service["EnvironmentFile"] == ["/etc/qabot/qabot.env"]
    example = (DEPLOY / "qabot.env.example").read_text(encoding="utf-8")
    assert any(line.startswith(f"{TOKEN_ENV}=") for line in example.splitlines())
    command = shlex.split(service["ExecStart"][0])
    assert not any("token" in word.lower() or ":" in word for word in command)
    assert not any(TOKEN_ENV in value for value in service.get("Environment", []))
    args = build_parser().parse_args(command[1:])
    assert args.command == "run" and args.config == Path("/etc/qabot/qabot.toml")


def test_the_service_writes_only_where_its_settings_keep_the_index_and_journal() -> None:
    service = _service()
    settings = load_settings(DEPLOY / "qabot.toml")
    writable = [Path(p) for p in service["ReadWritePaths"]]
    assert service["ProtectSystem"] == ["strict"] and service["NoNewPrivileges"] == ["yes"]
    for path in (settings.engine.index.path, settings.telegram.journal):
        assert path is not None and any(path.is_relative_to(w) for w in writable)
    assert service["KillSignal"] == ["SIGTERM"] and service["Restart"] == ["on-failure"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_accepts_every_line_of_the_unit(tmp_path: Path) -> None:
    # verify wants ExecStart's program to exist: point it at this checkout's qabot.
    qabot = Path(sys.executable).with_name("qabot")
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace("/opt/qabot/.venv/bin/qabot", str(qabot)),
        encoding="utf-8",
    )
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    complaints = [line for line in done.stderr.splitlines() if UNIT.name in line]
    assert done.returncode == 0 and not complaints, done.stderr
