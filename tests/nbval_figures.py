"""A pytest plugin for the nbval run of a lesson: keeps every committed and every re-executed PNG.

nbval compares text outputs and skips images. Loaded into the same nbval run
(``-p nbval_figures --figure-dir=DIR``), this plugin writes, for each code
cell, the committed PNGs and the PNGs the fresh execution displayed (an
interactive figure's static fallback included) into ``DIR``, plus one line of
JSON per cell in ``DIR/cells.jsonl``; ``tests/test_notebooks.py`` compares them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--figure-dir", default=None, help="folder for the committed and re-executed PNGs")


def _pngs(outputs) -> list[bytes]:
    return [
        base64.b64decode(output["data"]["image/png"])
        for output in outputs or ()
        if output.get("output_type") in ("display_data", "execute_result") and "image/png" in output.get("data", {})
    ]


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    folder = item.config.getoption("--figure-dir")
    cell = getattr(item, "cell", None)
    if folder is None or cell is None or cell.get("cell_type") != "code":
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    number = item.cell_num
    fresh = item.test_outputs
    # A cell committed without running (an appended check) has nothing to compare with, as in nbval.
    record = {"cell": number, "ran": fresh is not None, "committed_run": cell.get("execution_count") is not None}
    # A cell marked NBVAL_IGNORE_OUTPUT (or tagged nbval-ignore-output) shows what cannot repeat, e.g. measured times.
    record["checked"] = bool(getattr(item, "options", {}).get("check", True))
    record.update(committed=[], fresh=[])
    for kind, pngs in (("committed", _pngs(cell.get("outputs"))), ("fresh", _pngs(fresh))):
        for index, png in enumerate(pngs):
            path = folder / f"cell{number:03d}-{index}-{kind}.png"
            path.write_bytes(png)
            record[kind].append(path.name)
    with open(folder / "cells.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
