"""The web edition (``make site``), built once and read in a real browser.

The site is built from the committed notebooks into a temporary folder (the
same command as ``make site``), served on a free loopback port, and every page
reachable from the landing page is opened in headless Chromium. On every page:
no console error, no failed request, no request to any other host (the site
must work offline, from a USB stick), every image loaded, every math formula
typeset. Every internal link and anchor must lead somewhere. Each lesson page
shows exactly as many figures as its notebook has PNG outputs, hides the
input of every cell the notebook hides (collapsed, expandable), links its
notebook for download and to Binder and a JupyterHub, and has previous/next
links in lesson order. The search page finds a word that occurs only in
lesson 05 and links to it.

The checker is checked too: a toy site built the same way shows an interactive
figure as its PNG with the kernel line, collapses its hidden input, and fails
the checker once a link is broken or an image is missing.

Needs the ``site`` extra (``make site`` installs it) and the system's Chromium;
without either these tests skip, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import base64
import collections
import functools
import http.server
import importlib.util
import io
import os
import re
import runpy
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urldefrag, urlsplit

import nbformat
import pytest

import browser as b  # tests/browser.py: pytest puts tests/ on sys.path (no __init__.py there)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

REPO = b.REPO
DOCS = REPO / "docs"
SETTINGS = runpy.run_path(str(DOCS / "conf.py"))
LESSON_PAGES = [f"notebooks/{path.stem}.html" for path in b.lesson_notebooks()]
PAGE_TIMEOUT_MS = 90_000  # a lesson page is up to 1.5 MB; generous for a loaded machine
SITE_HINT = "The site extra is not installed: run `make site` (it installs Sphinx and MyST-NB into .venv)."


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _skip_or_fail(reason: str) -> None:
    if _ci():
        pytest.fail(f"{reason} Under CI this is a failure.", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- build and serve


def build_site(srcdir: Path, outdir: Path) -> str:
    """Build the site as ``make site`` does (configuration from docs/); return Sphinx's warnings."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-q",
            "-c",
            str(DOCS),
            str(srcdir),
            str(outdir),
            "-d",
            str(outdir.parent / "doctrees"),
        ],
        capture_output=True,
        text=True,
        timeout=540,  # ~20 s of CPU; a loaded machine stretches it
    )
    assert result.returncode == 0, f"the site did not build:\n{result.stdout}\n{result.stderr}"
    return result.stderr


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failed requests itself
        pass


@dataclass
class Server:
    root: Path
    url: str
    httpd: http.server.ThreadingHTTPServer


def serve(root: Path) -> Server:
    """A static file server for ``root`` on 127.0.0.1 and a free port, in a thread."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return Server(root, f"http://127.0.0.1:{httpd.server_address[1]}/", httpd)


# --------------------------------------------------------------------------- the checker


@dataclass
class PageReport:
    """What one page did in the browser, what it shows and what it links to."""

    path: str
    problems: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # absolute URLs of <a href> on the same server
    ids: set[str] = field(default_factory=set)
    shown: dict = field(default_factory=dict)  # what _JS_PAGE read


# Everything a page shows, read once it has loaded and MathJax has finished. Each
# collapsed input is then expanded with a click on its summary, as a reader would.
_JS_PAGE = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    const all = (selector) => Array.from(document.querySelectorAll(selector));
    const math = all('span.math, div.math');
    const link = (selector) => { const a = document.querySelector(selector); return a ? a.href : null; };
    return {
        images: Array.from(document.images).map(img => ({
            src: img.currentSrc || img.src, loaded: img.complete && img.naturalWidth > 0})),
        mathTotal: math.length,
        mathTypeset: math.filter(el => el.querySelector('mjx-container')).length,
        links: all('a[href]').map(a => a.href),
        hrefs: all('a[href]').map(a => a.getAttribute('href')),
        ids: all('[id]').map(el => el.id).concat(all('a[name]').map(a => a.name)),
        figures: all('article .cell_output img').length,
        widgetViews: all('article script[type*="widget"]').length,
        kernelNotes: all('article .rare-cases-kernel-note').length,
        captions: all('article .rare-cases-caption').map(p => p.textContent.trim()),
        text: document.querySelector('article') ? document.querySelector('article').textContent : '',
        next: link('a.right-next'),
        prev: link('a.left-prev'),
        hidden: all('article details.hide.above-input').map(box => {
            const pre = box.querySelector('pre');
            const collapsed = !box.open;
            box.querySelector('summary').click();
            return {collapsed, code: pre ? pre.textContent : '',
                    expands: box.open && pre !== null && pre.getClientRects().length > 0};
        }),
    };
}"""


class SiteChecker:
    """Opens pages of one served site and notes every problem it sees."""

    def __init__(self, context, server: Server):
        self.context, self.server = context, server
        self.origin = server.url.rstrip("/")
        self.remote: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.origin + "/") or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()

    def local(self, url: str) -> bool:
        return url.startswith(self.origin + "/")

    def path_of(self, url: str) -> str:
        path = unquote(urlsplit(url).path).lstrip("/")
        return path or "index.html"

    def open(self, path: str) -> PageReport:
        """Open one page in a fresh tab, wait for MathJax, and report what it did and shows."""
        report = PageReport(path)
        remote_before = len(self.remote)
        events: list[str] = []
        page = self.context.new_page()
        page.on("console", lambda msg: msg.type == "error" and events.append(f"console error: {msg.text}"))
        page.on("pageerror", lambda exc: events.append(f"script error: {exc}"))
        page.on("requestfailed", lambda req: self.local(req.url) and events.append(f"failed request: {req.url}"))
        page.on("response", lambda res: res.status >= 400 and events.append(f"HTTP {res.status}: {res.url}"))
        try:
            response = page.goto(self.server.url + path, wait_until="load")
            if response is None or response.status != 200:
                report.problems.append(f"page not found ({response.status if response else 'no response'})")
                return report
            report.shown = shown = page.evaluate(_JS_PAGE)
            page.wait_for_timeout(50)  # let late console messages arrive
        finally:
            page.close()
        report.problems.extend(events)
        report.problems.extend(f"request to another host: {url}" for url in self.remote[remote_before:])
        report.problems.extend(f"image not loaded: {img['src']}" for img in shown["images"] if not img["loaded"])
        if shown["mathTypeset"] != shown["mathTotal"]:
            report.problems.append(f"math typeset: {shown['mathTypeset']} of {shown['mathTotal']} formulas")
        report.links = [link for link in shown["links"] if self.local(link)]
        report.ids = set(shown["ids"])
        return report

    def crawl(self, *starts: str) -> dict[str, PageReport]:
        """Every HTML page reachable by links from ``starts``, each opened once."""
        reports: dict[str, PageReport] = {}
        queue = collections.deque(starts)
        while queue:
            path = queue.popleft()
            if path in reports:
                continue
            reports[path] = report = self.open(path)
            for link in report.links:
                target = self.path_of(urldefrag(link).url)
                if target.endswith(".html") and target not in reports:
                    queue.append(target)
        return reports

    def broken_links(self, reports: dict[str, PageReport]) -> list[str]:
        """``"page -> link: why"`` for every internal link to a missing page, file or anchor."""
        broken, files = [], {}
        for report in reports.values():
            for link in report.links:
                url, anchor = urldefrag(link)
                target = self.path_of(url)
                if target.endswith(".html"):
                    found = reports.get(target)
                    if found is None or any(p.startswith("page not found") for p in found.problems):
                        broken.append(f"{report.path} -> {link}: no such page")
                    elif anchor and unquote(anchor) not in found.ids:
                        broken.append(f"{report.path} -> {link}: no such anchor")
                else:  # a download: the file must be served
                    if target not in files:
                        files[target] = self.context.request.get(self.server.url + target).status
                    if files[target] != 200:
                        broken.append(f"{report.path} -> {link}: HTTP {files[target]}")
        return broken


def site_problems(reports: dict[str, PageReport], checker: SiteChecker) -> list[str]:
    problems = [f"{path}: {problem}" for path, report in reports.items() for problem in report.problems]
    return problems + checker.broken_links(reports)


# --------------------------------------------------------------------------- what the notebooks hold


def png_outputs(nb) -> int:
    return sum("image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


def hidden_inputs(nb) -> list[str]:
    """The sources of the code cells whose input the notebook hides."""
    return [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code"
        and ("hide-input" in cell.metadata.get("tags", []) or cell.metadata.get("jupyter", {}).get("source_hidden"))
    ]


def figure_captions(nb) -> list[str]:
    """The captions of the interactive figures, as committed (their text before the kernel note)."""
    captions = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data and "application/vnd.jupyter.widget-view+json" in data:
                text = data.get("text/plain", "")
                text = "".join(text) if isinstance(text, list) else text
                captions += [line.strip() for line in text.strip().splitlines()[:-1] if line.strip()]
    return captions


def kernel_notes(nb) -> int:
    """Interactive figures: widget outputs that carry a PNG."""
    return sum(
        "image/png" in out.get("data", {}) and "application/vnd.jupyter.widget-view+json" in out.get("data", {})
        for cell in nb.cells
        for out in cell.get("outputs", [])
    )


_WORD = re.compile(r"[A-Za-z]{6,}")


def word_only_in(lesson: Path) -> str:
    """A word of ``lesson``'s prose found in no other page's source (code and outputs included).

    The most frequent such word, so that the choice follows the lessons as they change.
    """
    others = [path for path in b.lesson_notebooks() if path != lesson]
    others += [REPO / "data" / "README.md", *sorted(DOCS.glob("*.md"))]
    elsewhere = "\n".join(path.read_text(encoding="utf-8").lower() for path in others)
    nb = nbformat.read(lesson, as_version=4)
    prose = " ".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    counts = collections.Counter(word.lower() for word in _WORD.findall(prose))
    unique = [word for word in counts if word not in elsewhere]
    if not unique:
        pytest.fail(f"no word of {lesson.name}'s prose is absent from every other page", pytrace=False)
    return max(unique, key=lambda word: (counts[word], word))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = b.find_chromium()
    if path is None:
        _skip_or_fail(b.INSTALL_HINT)
    return path


@pytest.fixture(scope="session")
def sphinx_available() -> None:
    if any(importlib.util.find_spec(name) is None for name in ("sphinx", "myst_nb", "sphinx_book_theme")):
        _skip_or_fail(SITE_HINT)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, sphinx_available) -> tuple[Path, str]:
    outdir = tmp_path_factory.mktemp("site") / "html"
    return outdir, build_site(REPO, outdir)


@pytest.fixture(scope="session")
def browser(chromium_path, playwright_session):
    chromium = b.launch_browser(playwright_session, chromium_path)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def site(built_site, browser):
    """The built site, served, and a checker with its own browser context."""
    server = serve(built_site[0])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    checker = SiteChecker(context, server)
    yield checker
    context.close()
    server.httpd.shutdown()


@pytest.fixture(scope="session")
def crawled(site) -> dict[str, PageReport]:
    # The search page is reached through a form, not a link.
    return site.crawl("docs/index.html", "search.html")


# --------------------------------------------------------------------------- the course's site


def test_build_has_no_warnings_that_break_pages(built_site):
    # A heading that skips a level is a question of a lesson's style, not a broken page.
    warnings = [line for line in built_site[1].splitlines() if "WARNING" in line and "[myst.header]" not in line]
    assert not warnings, "the site built with warnings:\n" + "\n".join(warnings)


def test_site_root_leads_to_the_landing_page(site):
    page = site.context.new_page()
    try:
        page.goto(site.server.url)
        page.wait_for_url("**/docs/index.html")
        assert page.locator("h1").first.text_content().startswith(SETTINGS["project"])
    finally:
        page.close()


def test_every_page_loads_offline_with_no_error(site, crawled):
    expected = {"docs/index.html", "data/README.html", "docs/instructors.html", "search.html", *LESSON_PAGES}
    assert expected <= set(crawled), f"pages not reachable from the landing page: {sorted(expected - set(crawled))}"
    problems = site_problems(crawled, site)
    assert not problems, "the site has problems:\n" + "\n".join(problems)


def check_lesson_page(report: PageReport, nb) -> None:
    """The page shows the notebook: its figures, interactive figures as PNG + note, hidden inputs."""
    shown = report.shown
    assert shown, f"{report.path} was not read: {report.problems}"
    assert shown["figures"] == png_outputs(nb), (
        f"{shown['figures']} figures on the page, {png_outputs(nb)} PNG outputs in the notebook"
    )
    assert shown["widgetViews"] == 0, "a widget view was left on the page (it shows nothing without a kernel)"
    assert shown["kernelNotes"] == kernel_notes(nb), "every interactive figure needs the line saying it needs a kernel"
    assert shown["captions"] == figure_captions(nb), "every interactive figure's caption belongs under its picture"
    sources = hidden_inputs(nb)
    assert len(shown["hidden"]) == len(sources), (
        f"{len(shown['hidden'])} collapsed inputs on the page, {len(sources)} hidden in the notebook"
    )
    for number, (box, source) in enumerate(zip(shown["hidden"], sources, strict=False), start=1):
        assert box["collapsed"], f"hidden input {number} is shown expanded"
        first_line = source.strip().splitlines()[0].strip() if source.strip() else ""
        assert first_line in box["code"], f"hidden input {number} does not hold the cell's code"
        assert box["expands"], f"hidden input {number} does not expand when its summary is clicked"


@pytest.mark.parametrize("notebook", b.lesson_notebooks(), ids=lambda path: path.stem)
def test_lesson_page_shows_the_notebook(site, crawled, notebook):
    report = crawled[f"notebooks/{notebook.stem}.html"]
    check_lesson_page(report, nbformat.read(notebook, as_version=4))
    repo_path = f"notebooks/{notebook.name}"
    hrefs = report.shown["hrefs"]
    assert any(href.endswith(f"_sources/{repo_path}") for href in hrefs), "no download link for the notebook"
    served = site.context.request.get(site.server.url + "_sources/" + repo_path)
    assert served.status == 200 and served.body() == notebook.read_bytes(), "the download is not the committed notebook"
    binder = [h for h in hrefs if h.startswith(SETTINGS["BINDERHUB_URL"].rstrip("/") + "/v2/")]
    assert binder, "no Binder launch link"
    assert parse_qs(urlsplit(binder[0]).query)["urlpath"] == [f"lab/tree/{repo_path}"], binder[0]
    hub = [h for h in hrefs if h.startswith(SETTINGS["JUPYTERHUB_URL"].rstrip("/") + "/hub/user-redirect/git-pull?")]
    assert hub, "no JupyterHub (nbgitpuller) launch link"
    query = parse_qs(urlsplit(hub[0]).query)
    repo_name = SETTINGS["REPOSITORY_URL"].rstrip("/").rsplit("/", 1)[-1]
    assert query["repo"] == [SETTINGS["REPOSITORY_URL"]], hub[0]
    assert query["urlpath"] == [f"lab/tree/{repo_name}/{repo_path}"], hub[0]
    assert query["branch"] == [SETTINGS["REPOSITORY_BRANCH"]], hub[0]


def test_lessons_are_in_order_with_previous_and_next(site, crawled):
    order = ["docs/index.html", *LESSON_PAGES]
    for before, after in zip(order, order[1:], strict=False):
        assert site.path_of(crawled[before].shown["next"] or "") == after, f"{before}: next is not {after}"
        assert site.path_of(crawled[after].shown["prev"] or "") == before, f"{after}: previous is not {before}"
    linked = {site.path_of(urldefrag(link).url) for link in crawled["docs/index.html"].links}
    assert set(LESSON_PAGES) <= linked, f"lessons not linked from the landing page: {set(LESSON_PAGES) - linked}"


def test_search_finds_a_word_of_lesson_05(site):
    lesson = b.lesson_notebooks()[5]
    word = word_only_in(lesson)
    page = site.context.new_page()
    try:
        page.goto(f"{site.server.url}search.html?q={word}")
        results = page.locator("#search-results li a")
        results.first.wait_for()
        found = [site.path_of(urldefrag(href).url) for href in results.evaluate_all("as => as.map(a => a.href)")]
        assert f"notebooks/{lesson.stem}.html" in found, f"searching {word!r} found {found}, not {lesson.stem}"
    finally:
        page.close()


# --------------------------------------------------------------------------- the checker can fail


def _toy_png() -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1.5))
    fig.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def toy_sources(root: Path) -> Path:
    """A repository-shaped toy: a landing page, a data card and one lesson with
    a hidden figure cell, a cell hidden by JupyterLab's metadata only, an
    interactive figure's bundle and a progress-bar widget."""
    (root / "docs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "docs" / "index.md").write_text(
        "# Toy course\n\n[The lesson](../notebooks/00_toy.ipynb)\n\n"
        "```{toctree}\n:hidden:\n\n/notebooks/00_toy\n/data/README\n```\n",
        encoding="utf-8",
    )
    (root / "data" / "README.md").write_text("# Data card\n\nNo data.\n", encoding="utf-8")
    png = _toy_png()
    view = {"model_id": "0" * 32, "version_major": 2, "version_minor": 0}
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 00 · Toy\n\nThe area is $\\pi r^2$.\n\n## A section"),
        nbformat.v4.new_code_cell(
            "# draws a line\nplot()",
            metadata={"tags": ["hide-input"], "jupyter": {"source_hidden": True}},
            outputs=[nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})],
        ),
        nbformat.v4.new_code_cell("# hidden in JupyterLab only\nx = 1", metadata={"jupyter": {"source_hidden": True}}),
        nbformat.v4.new_code_cell(
            "view",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"application/vnd.jupyter.widget-view+json": view, "text/plain": "steps:   0%|  | 0/3"},
                ),
                nbformat.v4.new_output(
                    "execute_result",
                    execution_count=1,
                    data={
                        "application/vnd.jupyter.widget-view+json": view,
                        "image/png": png,
                        "text/plain": "Toy caption: 3 points.\nInteractive figure: they need a live Python kernel.",
                    },
                ),
            ],
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "notebooks").mkdir()
    nbformat.write(nb, root / "notebooks" / "00_toy.ipynb")
    return root


@pytest.fixture(scope="session")
def toy_site(tmp_path_factory, sphinx_available, browser):
    tmp = tmp_path_factory.mktemp("toy")
    outdir = tmp / "html"
    build_site(toy_sources(tmp / "src"), outdir)
    server = serve(outdir)
    context = browser.new_context()
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    yield SiteChecker(context, server)
    context.close()
    server.httpd.shutdown()


def test_toy_lesson_renders_widgets_and_hidden_inputs(toy_site):
    nb = nbformat.read(toy_site.server.root.parent / "src" / "notebooks" / "00_toy.ipynb", as_version=4)
    assert (png_outputs(nb), kernel_notes(nb), len(hidden_inputs(nb))) == (2, 1, 2)
    assert figure_captions(nb) == ["Toy caption: 3 points."]
    report = toy_site.open("notebooks/00_toy.html")
    assert not report.problems, "\n".join(report.problems)
    check_lesson_page(report, nb)
    assert report.shown["mathTotal"] == 1, "the toy's formula is missing"
    assert "0/3" not in report.shown["text"], "a progress bar's text was left on the page"


def test_checker_fails_on_a_broken_link_anchor_or_image(toy_site):
    assert not site_problems(toy_site.crawl("docs/index.html"), toy_site), "the intact toy site must pass"
    lesson = toy_site.server.root / "notebooks" / "00_toy.html"
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(
        text.replace("</article>", '<a href="../no-such-page.html">x</a><a href="#no-such-anchor">y</a></article>', 1),
        encoding="utf-8",
    )
    image = next((toy_site.server.root / "_images").glob("*.png"))
    image.unlink()
    problems = site_problems(toy_site.crawl("docs/index.html"), toy_site)
    assert any("no-such-page.html: no such page" in p for p in problems), problems
    assert any("#no-such-anchor: no such anchor" in p for p in problems), problems
    assert any("image not loaded" in p and image.name in p for p in problems), problems
