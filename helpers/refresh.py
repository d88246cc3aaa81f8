"""Re-execute lesson notebooks in place, the way the tests run them.

``make notebooks`` calls ``python -m helpers.refresh notebooks/*.ipynb``. Each
notebook runs top to bottom in a fresh kernel, offline, with Jupyter's and
matplotlib's per-user folders in a temporary directory, and is written back
with its new outputs and without execution-time noise (timings, widget
state), so the committed outputs are exactly what a student's run prints.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# Runs in every kernel started by the course's tooling and tests: any attempt to
# reach a host other than this machine fails at once with a clear error.
OFFLINE_STARTUP = '''\
"""Block network access except to this machine: the course runs offline."""
import ipaddress
import socket


class NetworkBlockedError(OSError):
    """Raised on any attempt to reach another host while the course runs offline."""


_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host):
    if host is None:
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address):
    if isinstance(address, tuple) and address and not _is_local(address[0]):
        raise NetworkBlockedError(f"network access is blocked (the course runs offline): {address[0]}")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _connect(self, address):
    _check(address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    _check((host,))
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _connect
socket.socket.connect_ex = _connect_ex
socket.getaddrinfo = _getaddrinfo
'''


def kernel_environment(home: str | os.PathLike) -> dict[str, str]:
    """Environment for a kernel that runs offline with per-user folders under ``home``.

    Parameters
    ----------
    home : path
        An existing, writable (temporary) folder.

    Returns
    -------
    dict
        A copy of ``os.environ`` with HOME, the Jupyter, IPython and
        matplotlib folders pointed inside ``home``, and an IPython startup
        file that blocks network access to other hosts.
    """
    home = Path(home)
    if not home.is_dir():
        raise ValueError(f"home must be an existing folder, got {str(home)!r}")
    startup = home / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-offline.py").write_text(OFFLINE_STARTUP)
    env = dict(os.environ)
    env.update(
        {
            "HOME": str(home),
            "IPYTHONDIR": str(home / ".ipython"),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
            "MPLCONFIGDIR": str(home / ".config" / "matplotlib"),
            "PYTHONHASHSEED": "0",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "TQDM_DISABLE": "0",
        }
    )
    # The kernel chooses its own inline backend; an inherited "Agg" would hide the figures.
    env.pop("MPLBACKEND", None)
    return env


def execute_notebook(path: str | os.PathLike, *, timeout: int = 300, home: str | os.PathLike | None = None):
    """Execute a notebook top to bottom in a fresh offline kernel and return it.

    Parameters
    ----------
    path : path to an .ipynb file
    timeout : int, default=300
        Seconds allowed per cell.
    home : path or None
        Folder for the kernel's per-user files; a temporary one when None.

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook, normalised (see :func:`normalise`).
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="rare-cases-") as scratch:
        env = kernel_environment(home or scratch)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            client = NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
                record_timing=False,
                store_widget_state=False,
            )
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return normalise(notebook)


def normalise(notebook):
    """Drop execution-time noise so a re-run changes only what really changed."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
    notebook.metadata.pop("widgets", None)
    notebook.metadata.pop("papermill", None)
    return notebook


def _coalesce_streams(outputs):
    """Join consecutive stdout (or stderr) outputs: how the kernel batched its prints is timing."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description="Re-execute notebooks in place with fresh outputs.")
    parser.add_argument("notebooks", nargs="+", help=".ipynb files")
    args = parser.parse_args(argv)
    failures = 0
    for name in args.notebooks:
        start = time.perf_counter()
        try:
            notebook = execute_notebook(name)
        except Exception as error:  # report every failing notebook, not only the first
            failures += 1
            print(f"FAILED {name}: {type(error).__name__}: {str(error)[-2000:]}", file=sys.stderr)
            continue
        nbformat.write(notebook, name)
        print(f"{name}: executed in {time.perf_counter() - start:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
