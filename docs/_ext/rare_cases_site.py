"""What the course's web edition needs beyond MyST-NB and the book theme.

* :func:`read_lesson` reads a notebook for the site. An interactive figure's
  committed output carries a widget view, its default PNG, its caption and a line
  saying the controls need a running kernel; a page has no kernel, so the site
  shows the PNG, the caption and that line. An output that is only a widget (a progress bar) shows nothing
  without a kernel and is left out. A cell hidden in JupyterLab
  (``jupyter.source_hidden``) is hidden on the site too, expandable.
* MathJax 3 is copied from the ``django-static-mathjax`` wheel (MathJax's own
  files; Django itself is not needed) into ``_static/mathjax``, so no page loads
  anything from another host.
* ``index.html`` at the top of the site sends the reader to the landing page.
"""

from __future__ import annotations

import html
import importlib.util
import shutil
from pathlib import Path

import nbformat
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The parts of MathJax's es5 build that tex-chtml.js loads, or may load on demand
# (TeX extensions, the menu, the accessibility tools); not the other combined builds.
MATHJAX_PARTS = ["tex-chtml.js", "input", "output/chtml", "ui", "a11y", "sre", "adaptors"]


def _widget_output_for_the_page(output: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    data = output.get("data", {})
    if WIDGET_VIEW not in data:
        return [output]
    if "image/png" not in data:
        return []  # a progress bar or a bare control: nothing to show without a kernel
    figure = nbformat.v4.new_output(
        "display_data", data={"image/png": data["image/png"]}, metadata=output.get("metadata", {})
    )
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return [figure]
    # The figure's caption (its numbers in words), then the line saying the controls need a kernel.
    *caption, note = lines
    paragraphs = [f'<p class="rare-cases-caption">{html.escape(line)}</p>' for line in caption]
    paragraphs.append(f'<p class="rare-cases-kernel-note">{html.escape(note)}</p>')
    return [figure, nbformat.v4.new_output("display_data", data={"text/html": "\n".join(paragraphs)})]


def read_lesson(text: str) -> nbformat.NotebookNode:
    """A committed notebook, as the site shows it (see the module docstring)."""
    nb = nbformat.reads(text, as_version=4)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.metadata.get("jupyter", {}).get("source_hidden"):
            tags = cell.metadata.setdefault("tags", [])
            if "hide-input" not in tags:
                tags.append("hide-input")
        cell.outputs = [shown for output in cell.outputs for shown in _widget_output_for_the_page(output)]
    return nb


def mathjax_source() -> Path:
    """The folder of MathJax's es5 build inside the installed django-static-mathjax wheel."""
    spec = importlib.util.find_spec("mathjax")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        es5 = Path(folder) / "static" / "mathjax" / "es5"
        if (es5 / "tex-chtml.js").is_file():
            return es5
    raise ExtensionError(
        "MathJax was not found: install the site extra (pip install -e '.[site]', or `make site`), "
        "which brings the django-static-mathjax wheel"
    )


def _check_mathjax(app: Sphinx, config) -> None:
    mathjax_source()  # fail at the start of the build, not after it


def _copy_mathjax(outdir: Path) -> None:
    source, target = mathjax_source(), outdir / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = source / part, target / part
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        elif src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def _write_root_redirect(app: Sphinx) -> None:
    landing = app.builder.get_target_uri(app.config.root_doc)
    (Path(app.outdir) / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="refresh" content="0; url={landing}">\n'
        f"<title>{html.escape(app.config.project)}</title></head>\n"
        f'<body><p><a href="{landing}">{html.escape(app.config.project)}: the course</a></p></body></html>\n',
        encoding="utf-8",
    )


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    _copy_mathjax(Path(app.outdir))
    if app.builder.get_target_uri(app.config.root_doc) != "index.html":
        _write_root_redirect(app)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _check_mathjax)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
