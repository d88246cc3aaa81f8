"""A real JupyterHub on loopback: a student fetches and submits a lesson from the Assignments tab in Chromium.

JupyterHub runs as root on 127.0.0.1 (free ports) behind configurable-http-proxy, with
its PAM authenticator checking the passwords of real Unix accounts and its
LocalProcessSpawner starting each user's server as that user, from the course's own
environment (the ``jupyterhub-singleuser`` beside ``sys.executable``). nbgrader's
exchange is set up as docs/instructors.md says: a folder of mode 777, the
``nbgrader_config.py`` of its section 5 in each student's ``~/.jupyter`` (with this
test's exchange folder), and the formgrader switched off for students: the settings its
commands write system-wide, written at each student's own level (a test changes neither
the machine's configuration nor the course environment's).

Both students log in at /hub/login in Chromium (each in a fresh browser profile); while
the hub starts their servers, the instructor builds the release of the shortest lesson
with exercises and releases it with nbgrader's command line, as in tests/test_exchange.py.
The first student lands in JupyterLab, opens Nbgrader ▸ Assignment List (the menu has no
Formgrader, and the server has none), sees the lesson under "Released assignments",
clicks Fetch (the student version appears in their home, owned by them, and in the file
browser), saves an answer and clicks Submit; the instructor's ``nbgrader collect`` then
holds that answer. The second student sees the lesson as released only, nothing fetched
or submitted, can read no file holding the first one's answer, and the hub answers 403
when they open the first one's server.

Needs root on Linux (accounts), ``configurable-http-proxy`` on PATH (``npm install -g
configurable-http-proxy``), the ``jupyterhub`` package (the ``test`` extra) and a Chromium
(as tests/test_browser.py). Without one of them it skips with the reason, except when
the environment variable ``CI`` is set, where it fails. Everything it starts (the hub,
the proxy, the users' servers and their kernels) is ended by process id, and the
accounts are removed, whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest
from test_exchange import COURSE, Accounts, _missing, _shortest_real_lesson

from helpers.release import build_release

import browser as b
from browser import write_json

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("hub"), pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[1]
CHP_HINT = "configurable-http-proxy not found on PATH: `npm install -g configurable-http-proxy` (needs Node.js)"
STEP_MS = 60_000  # a user's server starts in seconds; a loaded machine may need more


def _ci() -> bool:
    return bool(os.environ.get("CI"))


def _skip_or_fail(reason: str) -> None:
    if _ci():
        pytest.fail(f"{reason} (CI is set: a missing piece is a failure, not a skip.)", pytrace=False)
    pytest.skip(reason)


def _documented(pattern: str) -> str:
    """The first block of docs/instructors.md's section 5 that matches ``pattern``."""
    text = (REPO / "docs" / "instructors.md").read_text()
    section = text.split("## 5. JupyterHub", 1)[1].split("\n## ", 1)[0]
    blocks = [re.sub(r"(?m)^ {2}", "", block) for block in re.findall(r"```\w*\n(.*?)```", section, re.S)]
    found = [block for block in blocks if re.search(pattern, block)]
    assert found, f"docs/instructors.md section 5 has no block matching {pattern!r}"
    return found[0]


class Hub:
    """JupyterHub as root on 127.0.0.1 with PAM and LocalProcessSpawner; :meth:`stop` ends all it started."""

    def __init__(self, accounts: Accounts, users: list[str], proxy: str):
        self.accounts = accounts
        self.folder = accounts.base / "hub"
        self.folder.mkdir()
        self.folder.chmod(0o700)
        self.port, self.hub_port, self.api_port = b._free_port(), b._free_port(), b._free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        singleuser = Path(sys.executable).parent / "jupyterhub-singleuser"
        config = f"""\
c = get_config()
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {self.hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {str(self.folder / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{self.folder / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(self.folder / "cookie_secret")!r}
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {set(users)!r}
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{str(singleuser)!r}]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
"""
        (self.folder / "jupyterhub_config.py").write_text(config)
        self.log_path = self.folder / "jupyterhub.log"
        self.process: subprocess.Popen | None = None
        self._known: dict[int, psutil.Process] = {}

    def start(self, timeout: float = 60) -> None:
        env = {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(self.folder),
            "LANG": "C.UTF-8",
        }
        command = [sys.executable, "-m", "jupyterhub", "-f", str(self.folder / "jupyterhub_config.py")]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.accounts.wrapper + command,  # the users' servers start in the same mount namespace
                cwd=self.folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterHub did not answer within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)  # polling a port: there is no event to wait on

    def log_tail(self, n_chars: int = 5000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return ""

    def remember(self) -> None:
        """Note every process the hub started (the proxy, the users' servers, their kernels)."""
        if self.process is None:
            return
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.process.pid).children(recursive=True):
                self._known.setdefault(child.pid, child)

    def stop(self) -> None:
        """Stop the hub (it stops the servers and the proxy), then anything it started that is still alive."""
        if self.process is None:
            return
        self.remember()
        print(f"The end of JupyterHub's log:\n{self.log_tail()}")  # shown by pytest when the test fails
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        leftovers = [p for p in self._known.values() if b._alive(p)]
        for proc in leftovers:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.terminate()
        _, still = psutil.wait_procs(leftovers, timeout=5)
        for proc in still:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(still, timeout=5)
        self.process = None


@pytest.fixture
def hub_parts():
    """What the hub test needs, or the reason it cannot run: accounts, the proxy, JupyterHub, a browser."""
    reason = _missing()
    if reason:
        _skip_or_fail(reason)
    proxy = shutil.which("configurable-http-proxy")
    if proxy is None:
        _skip_or_fail(CHP_HINT)
    if not (Path(sys.executable).parent / "jupyterhub-singleuser").exists():
        _skip_or_fail("the jupyterhub package is not installed in the course environment (the `test` extra)")
    chromium = b.find_chromium()
    if chromium is None:
        _skip_or_fail(b.INSTALL_HINT)
    if shutil.which("chpasswd") is None:
        _skip_or_fail("missing command: chpasswd")
    return proxy, chromium


@pytest.fixture
def hub_accounts(hub_parts):
    base = Path(tempfile.mkdtemp(prefix="rare-cases-hub-", dir="/tmp"))
    base.chmod(0o755)
    tag = secrets.token_hex(3)  # names unique to this run: other runs may share the machine
    made = None
    try:
        made = Accounts(base, [f"rc{tag}{role}" for role in ("i", "a", "b")])
        made.passwords = {name: secrets.token_urlsafe(12) for name in made.names}
        lines = "".join(f"{name}:{password}\n" for name, password in made.passwords.items())
        subprocess.run(["chpasswd"], input=lines, text=True, check=True, capture_output=True)
        yield made
    except subprocess.CalledProcessError as error:
        _skip_or_fail(f"could not create accounts: {error.stderr.strip()}")
    finally:
        if made is not None:
            made.remove()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def hub(hub_accounts, hub_parts):
    proxy, _ = hub_parts
    _, *students = hub_accounts.names
    server = Hub(hub_accounts, students, proxy)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def chromium(hub_parts, playwright_session):
    _, path = hub_parts
    browser = b.launch_browser(playwright_session, path)
    yield browser
    browser.close()


def _log_in(browser, hub: Hub, name: str, password: str):
    """A fresh browser profile fills in /hub/login as ``name`` and submits it; the hub starts the server."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    return page


def _wait_for_lab(page, hub: Hub, name: str) -> None:
    """The hub's spawn page hands over to the user's own JupyterLab."""
    try:
        page.wait_for_url(re.compile(rf"/user/{name}/lab"), timeout=STEP_MS)
        page.wait_for_selector(".jp-LabShell", timeout=STEP_MS)
    except b.PlaywrightTimeoutError as error:
        raise AssertionError(f"{name}: no JupyterLab at {page.url}; the hub's log:\n{hub.log_tail()}") from error
    finally:
        hub.remember()


def _open_assignments(page):
    """Nbgrader ▸ Assignment List, as a person opens it; returns the tab's panel once it has loaded."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    menu = page.locator(".lm-Menu")
    item = menu.locator(".lm-Menu-itemLabel", has_text="Assignment List")
    item.wait_for(timeout=STEP_MS)
    items = [text.strip() for text in menu.locator(".lm-Menu-itemLabel").all_inner_texts()]
    item.click()
    tab = page.locator(".lm-TabBar-tab", has_text="Assignments")
    tab.wait_for(timeout=STEP_MS)
    panel = page.locator("#nbgrader-assignment-list")
    for section in ("released", "fetched", "submitted"):
        page.wait_for_selector(
            f"#nbgrader-assignment-list #{section}_assignments_list_loading", state="hidden", timeout=STEP_MS
        )
    return panel, items


def _row(panel, section: str, assignment: str):
    """The row of ``assignment`` in one of the tab's lists (not the rows of its notebooks nested inside)."""
    return panel.locator(f"#{section}_assignments_list > .list_item:not(.nested_list_item)", has_text=assignment)


def test_student_fetches_and_submits_from_the_assignments_tab(hub, hub_accounts, chromium):
    accounts = hub_accounts
    instructor, student, other = accounts.names
    exchange = accounts.base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # as section 2 of docs/instructors.md says

    # Each student's configuration, from docs/instructors.md section 5 (this test's exchange folder).
    documented = _documented(r"c\.Exchange\.root")
    assert '"/srv/nbgrader/exchange"' in documented and f'"{COURSE}"' in documented, documented
    switch_off = _documented(r"labextension disable")
    plugins = re.search(r"labextension disable --level=system (.+)", switch_off).group(1).split()
    extension = re.search(r"server extension disable --sys-prefix (\S+)", switch_off).group(1)
    for name in (student, other):
        config_dir = accounts.home(name) / ".jupyter"
        (config_dir / "labconfig").mkdir(parents=True)
        (config_dir / "nbgrader_config.py").write_text(documented.replace("/srv/nbgrader/exchange", str(exchange)))
        # What the documented switch-off commands write, at the student's own level instead of the system's.
        write_json(config_dir / "labconfig" / "page_config.json", {"disabledExtensions": dict.fromkeys(plugins, True)})
        write_json(
            config_dir / "jupyter_server_config.json", {"ServerApp": {"jpserver_extensions": {extension: False}}}
        )
        subprocess.run(["chown", "-R", f"{name}:{name}", str(config_dir)], check=True)

    # Both students log in; while the hub starts their servers, the instructor releases a lesson.
    page = _log_in(chromium, hub, student, accounts.passwords[student])
    other_page = _log_in(chromium, hub, other, accounts.passwords[other])
    lesson = _shortest_real_lesson()
    assert lesson is not None, "no lesson with exercises to release"
    assignment = lesson.stem
    course = build_release([lesson], accounts.home(instructor) / "course")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f'c.Exchange.root = "{exchange}"\n')
    subprocess.run(["chown", "-R", f"{instructor}:{instructor}", str(accounts.home(instructor))], check=True)
    accounts.nbgrader(instructor, "release_assignment", assignment, cwd=course)

    # The first student opens the Assignments tab and sees the released lesson; no formgrader.
    _wait_for_lab(page, hub, student)
    panel, menu_items = _open_assignments(page)
    assert "Assignment List" in menu_items, menu_items  # with the formgrader on, it lists 3 items more
    assert not {"Formgrader", "Formgrader (local)", "Create assignment"} & set(menu_items), menu_items
    assert page.request.get(f"{hub.url}/user/{student}/formgrader").status == 404, "the formgrader is on"
    released = _row(panel, "released", assignment)
    released.wait_for(timeout=STEP_MS)
    assert COURSE in released.inner_text()
    fetched_file = accounts.home(student) / assignment / lesson.name
    assert not fetched_file.exists()

    # Fetch: the lesson moves to "Downloaded assignments" and its student version is in the student's home.
    released.get_by_role("button", name="Fetch").click()
    fetched = _row(panel, "fetched", assignment)
    fetched.wait_for(timeout=STEP_MS)
    assert _row(panel, "released", assignment).count() == 0
    assert fetched_file.is_file(), f"the Fetch button did not put {fetched_file} in the student's home"
    assert fetched_file.stat().st_uid == int(accounts.run(student, "id", "-u").strip())
    notebook = nbformat.read(fetched_file, as_version=4)
    assert any("raise NotImplementedError()" in cell.source for cell in notebook.cells), "not the student version"
    page.get_by_title("Refresh the file browser").first.click()  # the file browser shows the fetched folder
    page.locator(".jp-DirListing-item", has_text=assignment).wait_for(timeout=STEP_MS)

    # The student answers (a signed comment in the first answer cell), then clicks Submit.
    signature = f"answered by {student} {secrets.token_hex(4)}"
    first = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = f"# {signature}\n{first.source}"
    accounts.write(student, fetched_file, notebook)
    fetched.get_by_role("button", name="Submit").click()
    _row(panel, "submitted", assignment).wait_for(timeout=STEP_MS)
    inbound = list((exchange / COURSE / "inbound").glob(f"{student}+{assignment}+*"))
    assert len(inbound) == 1, inbound

    # The second student: the lesson is only released for them, nothing fetched or submitted, nothing of the first's.
    _wait_for_lab(other_page, hub, other)
    other_panel, _ = _open_assignments(other_page)
    _row(other_panel, "released", assignment).wait_for(timeout=STEP_MS)
    assert _row(other_panel, "fetched", assignment).count() == 0
    assert _row(other_panel, "submitted", assignment).count() == 0
    assert not (accounts.home(other) / assignment).exists()
    readable = accounts.readable(other, [exchange, accounts.base / "home"])
    assert not [path for path, text in readable.items() if signature in text], "the second student reads the first's"
    refused = other_page.goto(f"{hub.url}/user/{student}/lab")  # the hub's OAuth step says no
    assert refused.status == 403 and "/hub/" in other_page.url, (refused.status, other_page.url)
    assert f"permission to access Server at /user/{student}/" in other_page.inner_text("body")

    # The instructor collects: the answer typed before Submit is in the collected notebook.
    accounts.nbgrader(instructor, "collect", assignment, cwd=course)
    collected = course / "submitted" / student / assignment / lesson.name
    assert collected.is_file() and signature in collected.read_text()
    assert not (course / "submitted" / other).exists()
