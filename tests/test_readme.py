"""The README's commands for machines without make are the Makefile's, and they run.

The section "Without make" lists plain ``python -m`` lines that replace
``make lab`` and ``make test``. They must be, in order, the commands the
Makefile's recipes run (``make -n``), with the environment's own python for
``python``; and the cheap ones are run for real here: the venv line (without
pip, in a temporary folder), the JupyterLab line (started, asked whether it
serves the lessons, stopped), the pytest line (collecting only) and the ruff
lines (exit code 0 or 1, i.e. it ran and judged; 2 would be a wrong line).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers.refresh import kernel_environment

ROOT = Path(__file__).resolve().parent.parent
# Options the Makefile adds for a terminal or a server machine; the README's lines may leave them out.
MAKE_ONLY_OPTIONS = {"--disable-pip-version-check", "--no-browser", "--allow-root", "--ip=127.0.0.1", "--port=8888"}


def readme_commands() -> dict[str, list[list[str]]]:
    """The section's commands: {"setup": [...], "lab": [...], "test": [...]}, each an argv list."""
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^## Without make.*?$(.*?)(?=^## )", text, flags=re.M | re.S)
    assert match, "README.md has no section 'Without make'"
    commands: dict[str, list[list[str]]] = {}
    for intro, block in re.findall(r"([^\n]*)\n\n```\n(.*?)```", match.group(1), flags=re.S):
        key = "lab" if "`make lab`" in intro else "test" if "`make test`" in intro else "setup"
        lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
        commands.setdefault(key, []).extend(shlex.split(line) for line in lines)
    assert set(commands) == {"setup", "lab", "test"}, f"README's 'Without make' blocks: {sorted(commands)}"
    for argv in (argv for block in commands.values() for argv in block):
        assert argv[:2] == ["python", "-m"], f"not a plain `python -m` line: {shlex.join(argv)}"
    return commands


def make_commands(target: str, venv: Path) -> list[list[str]]:
    """What ``make TARGET`` runs that starts with the environment's python, from a dry run of every step."""
    result = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", target, f"VENV={venv}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    python = f"{venv}/bin/python"
    commands = []
    for line in result.stdout.replace("\\\n", " ").splitlines():
        argv = shlex.split(line) if line.startswith(python) else []
        if argv and argv[0] == python:
            commands.append(["python", *[arg for arg in argv[1:] if arg not in MAKE_ONLY_OPTIONS]])
    return commands


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["lab", "test"])
def test_readme_lines_are_the_makefile_commands(target, tmp_path):
    assert readme_commands()[target] == make_commands(target, tmp_path / "env")


def test_the_venv_line_creates_an_environment(tmp_path):
    (argv,) = readme_commands()["setup"]
    assert argv[2] == "venv", shlex.join(argv)
    # The same line on a tiny scope: no pip, in a temporary folder.
    target = tmp_path / argv[-1]
    subprocess.run([sys.executable, *argv[1:-1], "--without-pip", str(target)], check=True, timeout=120)
    assert (target / "pyvenv.cfg").is_file()
    assert any((target / folder / name).exists() for folder in ("bin", "Scripts") for name in ("python", "python.exe"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_jupyterlab_line_serves_the_lessons(tmp_path):
    (*installs, lab) = readme_commands()["lab"]
    # pip fetches uv, uv installs the course (the lines themselves are the Makefile's, checked above).
    assert [argv[2:4] for argv in installs] == [["pip", "install"], ["uv", "pip"]], installs
    assert lab[2] == "jupyterlab", lab
    port, token = _free_port(), "readme-test"
    extra = [
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--IdentityProvider.token={token}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")
    log = open(tmp_path / "lab.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, *lab[1:], *extra],
        cwd=ROOT,
        env=kernel_environment(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/contents/00_welcome.ipynb?content=0",
                    headers={"Authorization": f"token {token}"},
                )
                with urllib.request.urlopen(request, timeout=10) as response:
                    model = json.loads(response.read())
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()[-3000:]
                time.sleep(0.2)  # polling a port: there is no event to wait on
        assert model["type"] == "notebook", model
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=10) as response:
            assert response.url.split("?")[0].endswith("/lab/tree/00_welcome.ipynb"), response.url
    finally:
        server.terminate()  # by its process id; it started no kernel
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        log.close()


def test_the_pytest_line_collects_the_suite():
    test_lines = [argv for argv in readme_commands()["test"] if argv[2] == "pytest"]
    assert len(test_lines) == 1, test_lines
    (argv,) = test_lines
    result = subprocess.run(
        [sys.executable, *argv[1:], "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    collected = re.search(r"(\d+) tests? collected", result.stdout)
    assert collected and int(collected.group(1)) > 50, result.stdout[-2000:]


def test_the_ruff_lines_run():
    ruff_lines = [argv for argv in readme_commands()["test"] if argv[2] == "ruff"]
    assert {argv[3] for argv in ruff_lines} == {"check", "format"}, ruff_lines
    for argv in ruff_lines:
        result = subprocess.run([sys.executable, *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
        # 0: clean, 1: findings (`make lint` fails on those); 2: the line itself is wrong.
        assert result.returncode in (0, 1), f"{shlex.join(argv)}: {result.stderr[-2000:]}"
