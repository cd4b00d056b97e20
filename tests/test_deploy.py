"""deploy/ against the code: the image holds every package, each command the files run is one
``redprop`` has, and ``docker compose config`` accepts compose.yaml where a client is installed."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def redprop_arguments(line: str) -> list[str]:
    """What follows ``redprop`` (or the compose service ``bot``) in a command line."""
    words = shlex.split(re.sub(r"\$\([^)]*\)", "x", line))  # a shell's $(date +%F) is one word
    for marker in ("redprop", "bot"):
        ends = [index for index, word in enumerate(words) if word == marker or word.endswith(f"/{marker}")]
        if ends:
            return words[ends[-1] + 1 :]
    raise AssertionError(f"no redprop command in {line!r}")


def test_the_image_copies_every_package_pip_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    assert packages <= copied, f"the Dockerfile does not copy {sorted(packages - copied)}"
    assert "RUN pip install ." in dockerfile


def test_every_command_the_deploy_files_run_is_a_redprop_command() -> None:
    unit = (DEPLOY / "redprop.service").read_text(encoding="utf-8")
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    [exec_start] = re.findall(r"^ExecStart=(.+)$", unit, flags=re.MULTILINE)
    [cmd] = re.findall(r"^CMD (\[.+\])$", dockerfile, flags=re.MULTILINE)
    commands = [redprop_arguments(exec_start), [word.strip('" ') for word in cmd.strip("[]").split(",")]]
    # The commands the files' comments tell the operator to run.
    for text in (unit, dockerfile, compose):
        for line in re.findall(r"^#\s+(\S*/redprop .+|.* run --rm bot .+)$", text, flags=re.MULTILINE):
            commands.append(redprop_arguments(line))
    assert len(commands) >= 4, commands
    parser = build_parser()
    for arguments in commands:
        parser.parse_args(arguments)  # exits (fails the test) on a command redprop does not have


def test_compose_file_is_valid_for_docker_compose() -> None:
    client = next(
        (
            command
            for command in (["docker", "compose"], ["docker-compose"])
            if shutil.which(command[0])
            and subprocess.run([*command, "version"], capture_output=True).returncode == 0
        ),
        None,
    )
    if client is None:
        pytest.skip("no docker compose client on this machine: deploy/compose.yaml was not checked")
    result = subprocess.run(
        [*client, "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={"REDPROP_TELEGRAM__TOKEN": "123:test", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
