"""Every lesson notebook: its committed outputs are fresh, complete and clean.

* ``test_outputs_reproduce``: nbval re-runs the notebook in strict mode, offline,
  and compares every text output with the committed one.
* ``test_committed_notebook_is_clean``: the committed file comes from one
  in-order run, has no error outputs, no machine paths, and stable cell ids.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.refresh import kernel_environment

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
URL = re.compile(r"https?://[^\s\"')\]>]+")
SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
MACHINE_PATH = re.compile(r"(/(home|root|work|tmp|Users|usr|opt)/|[A-Z]:\\\\(Users|Windows|Program Files)\\\\)")


def test_there_are_notebooks():
    assert NOTEBOOKS, "no lesson notebooks found in notebooks/"


def run_nbval(notebook: Path, home: Path) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
        f"--nbval-sanitize-with={SANITIZE}", "--nbval-cell-timeout=300",
        "-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-o", "addopts=", str(notebook),
    ]
    return subprocess.run(command, cwd=ROOT, env=kernel_environment(home), capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_outputs_reproduce(notebook, tmp_path):
    result = run_nbval(notebook, tmp_path)
    summary = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, f"nbval found differences or errors in {notebook.name}:\n{summary}"
    assert re.search(r"\d+ passed", result.stdout), f"nbval ran no cell of {notebook.name}:\n{summary}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_committed_notebook_is_clean(notebook):
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells, "a lesson has code"
    counts = [cell.execution_count for cell in code_cells]
    assert counts == list(range(1, len(code_cells) + 1)), (
        f"outputs must come from one in-order run of every cell (run `make notebooks`); execution counts: {counts}"
    )
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs a unique, stable id"
    for index, cell in enumerate(code_cells):
        for output in cell.outputs:
            assert output.output_type != "error", f"code cell {index + 1} has an error output"
            assert not (output.output_type == "stream" and output.name == "stderr" and "Warning" in output.text), (
                f"code cell {index + 1} prints a warning: {output.text[:300]}"
            )
    text = URL.sub("", json.dumps(nb))
    match = MACHINE_PATH.search(text)
    assert match is None, f"a machine path leaked into the notebook: ...{text[max(0, match.start() - 60):match.end() + 60]}..."
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert "widgets" not in nb.metadata, "widget state is execution-time noise; run `make notebooks`"


def test_network_is_blocked_in_notebook_kernels(tmp_path):
    """The offline guard really blocks: a notebook reaching for the web fails with our error."""
    probe = nbformat.v4.new_notebook()
    probe.cells = [
        nbformat.v4.new_code_cell(
            "import urllib.request\n"
            "try:\n"
            "    urllib.request.urlopen('http://example.invalid/', timeout=5)\n"
            "except Exception as error:\n"
            "    print(type(error).__name__, error)\n"
        )
    ]
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "probe.ipynb"
    nbformat.write(probe, path)
    from helpers.refresh import execute_notebook

    executed = execute_notebook(path, home=tmp_path)
    printed = "".join(output.get("text", "") for output in executed.cells[0].outputs)
    assert "network access is blocked" in printed, printed
    assert "example.invalid" in printed, printed
