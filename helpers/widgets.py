"""Widget plumbing: controls bound to a figure that redraws in place, fast.

A lesson writes one plain function and :func:`interactive_figure` does the
rest, the same way everywhere. Two styles:

* a **render function** ``render(**values) -> Figure | (Figure, caption)``
  that draws the whole figure for the controls' values (scikit-learn's
  Displays are welcome inside it); the caption states the figure's numbers in
  words (it is what a screen reader reads);
* a figure built once and passed as ``figure=``, with an **update function**
  that changes its artists for the values (``set_data``, ``set_text``,
  ``set_height`` …) and returns the caption.

Neither style mentions drawing speed; the plumbing provides it:

* it renders once on creation, so the figure shows with the default values
  even where there is no kernel (the notebook read on the web shows a PNG
  copy of the first figure, and plain text says the controls need a kernel);
* every change of a control re-renders on the kernel side into one
  ``widgets.Image``, in place (no ``plt.show()``, no growing output);
* figures are cached by control values, so going back to a value is free;
* with ``figure=``, after the first full drawing it reads matplotlib's stale
  flags to find the artists an update changed. When they are data artists
  (lines, collections, patches, texts and images inside a panel) they become
  the moving layer: the rest is drawn once, and each step restores that
  background and draws only the layer (and what lies above it), which gives
  the same pixels as a full drawing. Anything else (limits, ticks, titles, a
  legend whose text changed, artists added or removed) draws the whole figure
  again, so the picture is always right and only the speed differs;
* in a live notebook (a change that arrives from the browser, between cell
  executions) the figure is drawn by one background thread: changes that
  arrive while it draws are coalesced (the latest value wins, so a drag keeps
  redrawing and ends on the value where it was released), and while the
  student reads it renders the neighbouring values of the control just moved
  into the cache, the next one in the direction of motion first, then one step
  of every other control. A figure not moved yet gets the first step of each
  control drawn ahead once no cell has run for half a second. It never draws
  while a cell executes (a cell waits for a drawing in progress to end), and a
  plain notebook run (nbclient, nbval) sends no changes and leaves no idle
  time, so outputs stay as they are;
* an exception in the function shows in the widget (and in
  ``view.last_error``) with the values that caused it; the widget keeps working.

Targets, keypress to redraw in JupyterLab in Chromium (``make bench``), per
control: a median of at most 100 ms and a 95th percentile of at most 150 ms,
both on first visits (moving forward through a slider, a pause between steps
as a student reads) and back and forth; after a 2-second drag across a slider,
the figure settles at most 150 ms after the release.

Example
-------
>>> import ipywidgets as widgets
>>> from matplotlib.figure import Figure
>>> def render(prevalence):
...     fig = Figure(figsize=(4, 3))
...     ax = fig.add_subplot()
...     ax.bar(["majority", "minority"], [1 - prevalence, prevalence])
...     return fig, f"prevalence {prevalence:.0%}"
>>> view = interactive_figure(render, prevalence=widgets.FloatSlider(
...     value=0.1, min=0.01, max=0.5, step=0.01, description="prevalence"))
>>> view.caption_text
'prevalence 10%'

The same figure built once, with an update function:

>>> fig = Figure(figsize=(4, 3))
>>> bars = fig.add_subplot().bar(["majority", "minority"], [0.9, 0.1])
>>> def update(prevalence):
...     bars[0].set_height(1 - prevalence)
...     bars[1].set_height(prevalence)
...     return f"prevalence {prevalence:.0%}"
>>> view = interactive_figure(update, figure=fig, prevalence=widgets.FloatSlider(
...     value=0.2, min=0.01, max=0.5, step=0.01, description="prevalence"))
>>> view.caption_text
'prevalence 20%'
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import itertools
import threading
import time
import warnings
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.image import _ImageBase
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.spines import Spine
from matplotlib.text import Text
from PIL import Image

from helpers._validation import check_int

KERNEL_NOTE = "Interactive figure: move the controls in a running notebook (they need a live Python kernel)."

# How many neighbouring values of the control just moved are drawn ahead: this many in the
# direction of motion, then one behind (then one either side of every other control).
AHEAD_STEPS = 3
# Drawing ahead waits until the controls have been still this long (a drag is not interrupted).
AHEAD_DELAY_S = 0.12
# A figure not moved yet gets the first step of each control drawn ahead once no cell has run
# for this long (a student reads it; Run All and plain notebook runs go on without waiting).
WARM_UP_DELAY_S = 0.5

# Every interactive figure created in this process, so tests can sweep them all.
_LIVE_FIGURES: weakref.WeakSet = weakref.WeakSet()
_CREATION_ORDER = itertools.count()
# One drawing at a time in the process, whichever thread draws (pyplot is not thread-safe).
_DRAWING = threading.RLock()

_CHOICES = (widgets.Dropdown, widgets.ToggleButtons, widgets.RadioButtons, widgets.SelectionSlider, widgets.Select)


def control_values(control: widgets.ValueWidget) -> list:
    """Every value a control can take, ends included, in order.

    Parameters
    ----------
    control : ipywidgets slider, dropdown, toggle buttons, radio buttons or checkbox

    Returns
    -------
    list
    """
    if isinstance(control, widgets.FloatLogSlider):
        exponents = np.arange(control.min, control.max + control.step / 2, control.step)
        return [float(control.base**e) for e in exponents]
    if isinstance(control, widgets.IntSlider):
        return list(range(control.min, control.max + 1, control.step))
    if isinstance(control, widgets.FloatSlider):
        n_steps = int(round((control.max - control.min) / control.step))
        values = [_same_notch(control.min + i * control.step) for i in range(n_steps + 1)]
        return [min(v, control.max) for v in values]
    if isinstance(control, _CHOICES):
        # options may be plain values or (label, value) pairs
        return [option[1] if isinstance(option, tuple) else option for option in control.options]
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [False, True]
    raise TypeError(
        "control must be a slider, dropdown, toggle buttons, radio buttons, selection slider or checkbox, "
        f"got {type(control).__name__}"
    )


def figure_to_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it.

    Fast compression: widget PNGs travel over a local socket, so encoding time
    matters more than bytes.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1}, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _canvas_to_png(canvas: FigureCanvasAgg) -> bytes:
    """The pixels an Agg canvas holds now, as PNG bytes (what savefig would write, without drawing)."""
    rgba = np.asarray(canvas.buffer_rgba())
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


# --------------------------------------------------------------------------- drawing only what changed


def _is_data_artist(artist, ax: Axes) -> bool:
    """Lines, collections, patches, texts and images that belong to a panel's data, not its frame."""
    if isinstance(artist, (Spine, Axis, Legend)) or artist is ax.patch:
        return False
    if artist in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None)):
        return False
    return isinstance(artist, (Line2D, Collection, Patch, Text, _ImageBase))


def _clipped_to(artist, ax: Axes) -> bool:
    """Whether ``artist`` cannot paint outside the panel ``ax``."""
    if not artist.get_clip_on():
        return False
    path = artist.get_clip_path()
    if path is not None:
        return getattr(path, "_patch", None) is ax.patch
    box = artist.get_clip_box()
    return box is not None and bool(np.allclose(box.bounds, ax.bbox.bounds, atol=1))


def _draw_order(container) -> list:
    """The children of a figure or an Axes in the order matplotlib draws them (by zorder, stable)."""
    children = [c for c in container.get_children() if c is not container.patch]
    return sorted(children, key=lambda artist: artist.get_zorder())


class _Blitter:
    """Draws a figure= figure after each update, redrawing only the layer that moves.

    The layer is every artist an update has changed so far (found from matplotlib's
    stale flags) plus the artists the lesson created with ``animated=True``. What is
    drawn over the layer in a full drawing (higher zorder in its panel, later
    overlapping panels, figure texts and legends over it) is redrawn with it, so the
    result equals a full drawing.
    """

    def __init__(self, figure: Figure):
        self.figure = figure
        self.layer: list = []  # artists found to change, in the order found
        self.background = None
        self.tail: list = []  # what is drawn over the background, in drawing order
        self.full_draw_count = 0
        self._moving: set = set()  # the layer and the artists animated by the lesson
        self._snapshot = None

    def invalidate(self) -> None:
        self.background = None

    def draw(self) -> bytes:
        fig = self.figure
        if self.background is None or fig.subfigs:
            self._full()
        else:
            changed, structural = self._changes()
            new = [artist for artist in changed if artist not in self._moving]
            if structural or new:
                self.layer.extend(new)
                self._full()
            else:
                fig.canvas.restore_region(self.background)
                for artist in self.tail:
                    fig.draw_artist(artist)
                self._settle()
        return _canvas_to_png(fig.canvas)

    def _explicit(self) -> list:
        """The artists the lesson made animated itself (kept for figures written that way)."""
        return self.figure.findobj(lambda artist: artist is not self.figure and artist.get_animated())

    def _full(self) -> None:
        fig, canvas = self.figure, self.figure.canvas
        present = set(fig.findobj())
        self.layer = [artist for artist in self.layer if artist in present]
        ours = [artist for artist in self._tail(set(self.layer) | set(self._explicit())) if not artist.get_animated()]
        for artist in ours:  # left out of the background, drawn over it
            artist.set_animated(True)
        try:
            canvas.draw()
            self.background = canvas.copy_from_bbox(fig.bbox)
        finally:
            for artist in ours:
                artist.set_animated(False)
        self._moving = set(self.layer) | set(self._explicit())
        self.tail = self._tail(self._moving)
        for artist in self.tail:
            fig.draw_artist(artist)
        self.full_draw_count += 1
        self._settle()

    def _tail(self, moving: set) -> list:
        """What is drawn over the background, in the order a full drawing uses.

        In each panel with a moving artist: the moving artists, and every artist drawn
        after the first of them that overlaps where they can paint (the panel, when
        they are clipped to it). Then later panels and figure-level artists over
        those areas. Whatever else is drawn after them lies elsewhere, so it stays in
        the background.
        """
        fig = self.figure
        if not moving:
            return []
        tail, areas = [], []
        renderer = fig.canvas.get_renderer()
        for element in _draw_order(fig):
            if not element.get_visible():
                continue
            if isinstance(element, Axes) and element not in moving:
                order = [a for a in _draw_order(element) if a.get_visible()]
                first = next((i for i, artist in enumerate(order) if artist in moving), None)
                if first is not None:
                    area = self._paint_area(element, [a for a in order if a in moving])
                    areas.append(area)
                    tail.extend(a for a in order[first:] if a in moving or self._overlaps(a, [area], renderer))
                    continue
            if element in moving:
                tail.append(element)
                if isinstance(element, Axes):
                    areas.append(element.bbox.padded(2))
            elif areas and self._overlaps(element, areas, renderer):
                tail.append(element)  # a later panel or figure text drawn over a moving one
        return tail

    def _paint_area(self, ax: Axes, artists: list):
        """Where the moving artists of ``ax`` can paint: the panel if all are clipped to it."""
        return (ax.bbox if all(_clipped_to(a, ax) for a in artists) else self.figure.bbox).padded(2)

    @staticmethod
    def _overlaps(element, boxes, renderer) -> bool:
        try:
            extent = (
                element.get_tightbbox(renderer) if isinstance(element, Axes) else element.get_window_extent(renderer)
            )
        except Exception:  # noqa: BLE001 - an artist that cannot say where it is: assume it overlaps
            return True
        return extent is None or any(extent.overlaps(box) for box in boxes)

    def _state(self):
        fig = self.figure
        return {
            "figure": [id(c) for c in fig.get_children()],
            "axes": {
                id(ax): (
                    [id(c) for c in ax.get_children()],
                    ax.get_xlim(),
                    ax.get_ylim(),
                    tuple(ax.get_position().bounds),
                )
                for ax in fig.axes
            },
        }

    def _changes(self) -> tuple[list, bool]:
        """(data artists that changed, whether anything else changed) since the last drawing."""
        fig = self.figure
        if self._state() != self._snapshot:
            return [], True  # artists added or removed, limits or positions moved
        changed = []
        for child in fig.get_children():
            if isinstance(child, Axes) or child is fig.patch:
                continue
            if child.stale and child not in self._moving:
                return [], True  # a figure-level text or legend
        if fig.patch.stale:
            return [], True
        for ax in fig.axes:
            children = ax.get_children()
            stale = [c for c in children if c.stale]
            if ax.stale and not stale and ax not in self._moving:
                return [], True  # the panel itself changed (aspect, scale, colours)
            for child in stale:
                if child in self._moving or ax in self._moving:
                    continue
                if not _is_data_artist(child, ax):
                    return [], True
                changed.append(child)
        return changed, False

    def _settle(self) -> None:
        """Mark everything drawn, so that the next update's stale flags say what it changed."""
        fig = self.figure
        for ax in fig.axes:
            for child in ax.get_children():
                child.stale = False
            ax.stale = False
        for child in fig.get_children():
            child.stale = False
        fig.stale = False
        self._snapshot = self._state()


# --------------------------------------------------------------------------- the background thread


class _Background:
    """One thread per kernel that draws the changes made in the browser, and draws ahead.

    IPython's ``pre_execute`` / ``post_execute`` hooks close and open a gate around
    every cell execution: the thread never starts a drawing while a cell runs, and a
    cell does not start while it finishes one (a half-drawn pyplot figure would be
    shown in that cell's output). Nothing is drawn here unless a change arrives between
    cell executions, which only a front end sends.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self.attached = False
        self.executing = False  # a cell is running: control changes come from its code
        self.holding = False  # a cell or a front end's message is being handled: draw nothing now
        self.busy = False
        self._requests: OrderedDict = OrderedDict()  # view -> values, the latest per view
        self._ahead: deque = deque()  # (view, values) to draw into the cache while idle
        self._warm: deque = deque()  # (view, values): first steps of figures not moved yet
        self._last_request = 0.0
        self._last_cell = 0.0
        self._thread: threading.Thread | None = None
        self._shell = None

    # -- gate
    def attach(self, shell=None) -> None:
        """Start honouring cell executions of ``shell`` (an IPython kernel shell); idempotent."""
        with self._cond:
            if self.attached:
                return
            self.attached = True
        if shell is not None:
            self._shell = shell
            shell.events.register("pre_execute", self._pre_execute)
            shell.events.register("post_execute", self._post_execute)

    def detach(self) -> None:
        """Stop (tests): unregister the hooks, forget pending work, let the thread end."""
        with self._cond:
            self.attached = False
            self._requests.clear()
            self._ahead.clear()
            self._warm.clear()
            self._cond.notify_all()
        if self._shell is not None:
            for event, hook in (("pre_execute", self._pre_execute), ("post_execute", self._post_execute)):
                with contextlib.suppress(ValueError):
                    self._shell.events.unregister(event, hook)
            self._shell = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _pre_execute(self) -> None:
        shell = self._shell
        if shell is not None:
            # Open the gate only after every other post_execute hook, matplotlib-inline's
            # flush of open figures included: move ours to the end.
            with contextlib.suppress(ValueError):
                shell.events.unregister("post_execute", self._post_execute)
            shell.events.register("post_execute", self._post_execute)
        with self._cond:
            # The comm package wraps each message from a front end in these hooks too (so
            # that pyplot figures get flushed): hold drawing then as well, but a change made
            # while handling such a message comes from the front end, not from a cell.
            self.holding = True
            self.executing = self._parent_type() != "comm_msg"
            # A cell waits for the drawing in progress. A widget message does not (it only
            # queues a change, so a drag's changes are coalesced), unless that drawing went
            # through pyplot, whose open figures matplotlib-inline shows at the message's end.
            while self.busy and (self.executing or plt.get_fignums()):
                self._cond.wait()

    def _post_execute(self) -> None:
        with self._cond:
            if self.executing:
                self._last_cell = time.monotonic()
                self._warm_up()
            self.executing = False
            self.holding = False
            self._cond.notify_all()

    def _warm_up(self) -> None:
        """Under the lock: plan the first step of every control of the figures shown but not moved yet."""
        for view in live_figures():
            if not view._warmed and view._cache_size:
                view._warmed = True
                self._warm.extend((view, values) for values in view._neighbours(None, None, view.values))
        if self._warm:
            self._start()

    def _parent_type(self) -> str | None:
        """The type of the message the kernel is handling ('execute_request', 'comm_msg'), if known."""
        kernel = getattr(self._shell, "kernel", None)
        try:
            return kernel.get_parent("shell")["header"]["msg_type"]
        except Exception:  # noqa: BLE001 - unknown: treat it as a cell
            return None

    def from_front_end(self) -> bool:
        """Whether a change arriving now comes from a front end (between cell executions)."""
        return self.attached and not self.executing

    @contextlib.contextmanager
    def cell(self):
        """Act as a cell execution (tests, or code that must not be interrupted)."""
        self._pre_execute()
        try:
            yield
        finally:
            self._post_execute()

    # -- work
    def request(self, view: InteractiveFigure, values: dict | None, ahead: list[dict]) -> None:
        """Draw ``values`` of ``view`` (None: already on screen), then draw ``ahead`` into its cache."""
        with self._cond:
            self._requests.pop(view, None)
            if values is not None:
                self._requests[view] = values  # latest wins
            view._warmed = True
            self._warm = deque(job for job in self._warm if job[0] is not view)  # planned from old values
            self._ahead = deque((view, future) for future in ahead)
            self._last_request = time.monotonic()
            self._start()

    def _start(self) -> None:
        """Under the lock: make sure the thread runs, and wake it."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="rare-cases-figures", daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is pending or drawing (tests, benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.busy or self._requests or ((self._ahead or self._warm) and not (self.executing or self.holding)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def _next_job(self):
        """Under the lock: the next job, or how long to wait for one (None: until told)."""
        if not self.attached:
            return "stop", None
        if self.holding or self.executing:
            return None, None
        if self._requests:
            view, values = self._requests.popitem(last=False)
            return "show", (view, values)
        if self._ahead:
            wait = self._last_request + AHEAD_DELAY_S - time.monotonic()
            if wait > 0:
                return None, wait
            return "ahead", self._ahead.popleft()
        if self._warm:
            wait = max(self._last_request + AHEAD_DELAY_S, self._last_cell + WARM_UP_DELAY_S) - time.monotonic()
            if wait > 0:
                return None, wait
            return "ahead", self._warm.popleft()
        return None, None

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    kind, job = self._next_job()
                    if kind == "stop":
                        return
                    if kind is not None:
                        break
                    self._cond.wait(job)
                self.busy = True
            try:
                view, values = job
                if kind == "show":
                    view._show(values)
                else:
                    view._draw_ahead(values)
            except Exception:  # noqa: BLE001 - the view records its own errors; never kill the thread
                pass
            finally:
                with self._cond:
                    self.busy = False
                    self._cond.notify_all()


_BACKGROUND = _Background()


def _kernel_shell():
    """The IPython shell of a running Jupyter kernel, or None (plain Python, a terminal)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


@contextlib.contextmanager
def _no_pyplot_leak():
    """Close any pyplot figure a drawing opened and left open (even when it raised).

    matplotlib-inline shows every open pyplot figure when a cell ends.
    """
    before = set(plt.get_fignums())
    try:
        yield
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)


# --------------------------------------------------------------------------- the widget


class InteractiveFigure(widgets.VBox):
    """Controls above a figure that a render function redraws in place.

    Parameters
    ----------
    render : callable
        Called with the controls' values as keyword arguments (one per key of
        ``controls``). Without ``figure``: returns a new matplotlib ``Figure``,
        or a pair ``(Figure, caption)`` where ``caption`` is text stating what
        the figure shows in numbers (it is also what a screen reader reads).
        With ``figure``: updates that figure's artists for the values through
        their setters, every changing artist from the values alone (cached and
        drawn-ahead states are skipped, so the previous call is not necessarily
        the previous value), and returns the caption (or None).
    controls : mapping of str to ipywidget
        Keyword name → control. Every control needs a ``description``.
    figure : matplotlib Figure, optional
        A figure built once and updated by ``render``. The artists an update
        changes are found and redrawn alone when they are data artists; any
        other change redraws the whole figure.
    cache_size : int, default=256
        How many rendered figures to keep, keyed by the controls' values.
        0 disables the cache and drawing ahead (for render functions with
        hidden state).
    dpi : float or None
        Resolution of the rendered PNG; matplotlib's ``savefig.dpi`` when None.

    Attributes
    ----------
    controls : dict
    image : ipywidgets.Image
    caption : ipywidgets.HTML
    caption_text : str
        The caption as plain text (or the error message, see ``last_error``).
    shown_values : dict
        The control values the image and caption show now.
    render_count : int
        How many times ``render`` was actually called (cache misses, drawing
        ahead included).
    ahead_count : int
        How many of those calls drew a value ahead, into the cache only.
    full_draw_count : int
        With ``figure``: how many times the whole figure was drawn (the first
        time, and after each update that changed more than data artists).
    last_render_ms : float
        Time of the latest redraw shown, render and PNG encoding included.
    last_error : str or None
        When the latest render raised: the exception's type and message and the
        control values that caused it (also shown in the widget, in place of the
        caption, over the last picture that did draw). None after a render that
        worked. Changing a control, ``set_values`` and ``redraw`` never raise for
        an error inside ``render``: they record it here. Only the first drawing
        (on creation, with the default values) raises, so a broken figure fails
        the notebook's run. A warning inside ``render`` stays a warning (unless
        a warnings filter makes it an error: then it is recorded like one).
    """

    def __init__(
        self,
        render: Callable[..., Figure | tuple[Figure, str]],
        controls: Mapping[str, widgets.ValueWidget],
        *,
        figure: Figure | None = None,
        cache_size: int = 256,
        dpi: float | None = None,
    ):
        if not callable(render):
            raise TypeError(f"render must be callable, got {type(render).__name__}")
        if figure is not None and not isinstance(figure, Figure):
            raise TypeError(f"figure must be a matplotlib Figure or None, got {type(figure).__name__}")
        if not isinstance(controls, Mapping) or not controls:
            raise ValueError("controls must be a non-empty mapping of keyword name to ipywidgets control")
        for name, control in controls.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"controls keys must be valid keyword names, got {name!r}")
            control_values(control)  # raises TypeError for unsupported widgets
            if not str(control.description).strip():
                raise ValueError(f"control {name!r} needs a description (it is what a screen reader announces)")
        self._cache_size = check_int(cache_size, "cache_size", min_value=0)
        self._render = render
        self._dpi = dpi
        self._cache: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._screen = threading.RLock()  # the cache and what is on screen, between two threads
        self._figure = figure
        self._blitter = None
        if figure is not None:
            if dpi is not None:
                figure.set_dpi(dpi)
            if not isinstance(figure.canvas, FigureCanvasAgg):
                FigureCanvasAgg(figure)  # a Figure() made without pyplot has no pixel buffer yet
            plt.close(figure)  # pyplot must not show it again at the end of the cell
            self._blitter = _Blitter(figure)
        self.caption_text = ""
        self.render_count = 0
        self.ahead_count = 0
        self.last_render_ms = float("nan")
        self.last_error: str | None = None
        self._last_exception: Exception | None = None
        self.shown_values: dict = {}
        self._quiet = False  # set_values is changing the controls: no redraw per control
        self._warmed = False  # whether the first steps of its controls were planned ahead
        self.controls = dict(controls)
        for control in self.controls.values():
            control.style.description_width = "initial"
            control.observe(self._on_change, names="value")
        self._names = {id(control): name for name, control in self.controls.items()}
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.caption = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        panel = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([panel, self.image, self.caption])
        self.add_class("rare-cases-figure")
        self._order = next(_CREATION_ORDER)
        self.redraw()
        if self.last_error is not None:
            # A figure that cannot draw its default values is a bug in the notebook: fail its run.
            raise self._last_exception
        _LIVE_FIGURES.add(self)
        shell = _kernel_shell()
        if shell is not None:
            _BACKGROUND.attach(shell)

    @property
    def values(self) -> dict:
        """The controls' current values, by keyword name."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def full_draw_count(self) -> int:
        return self._blitter.full_draw_count if self._blitter is not None else self.render_count - self.ahead_count

    def set_values(self, **values) -> None:
        """Set some controls (as a student would) and redraw once, now."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this figure has {sorted(self.controls)}")
        self._quiet = True
        try:
            with self.hold_trait_notifications():
                for name, value in values.items():
                    self.controls[name].value = value
        finally:
            self._quiet = False
        self.redraw()

    def prerender(self, *, max_states: int = 64) -> int:
        """Render every combination of the controls' values into the cache now.

        For figures whose controls take few values (dropdowns, toggles, short
        sliders): the notebook pays the drawing time once when it runs, and
        every step a student takes later is a cache hit.

        Parameters
        ----------
        max_states : int, default=64
            Refuse (``ValueError``) when the controls have more combinations
            than this, so a slider with hundreds of values is not prerendered
            by accident.

        Returns
        -------
        int
            How many states were rendered (the ones already cached are skipped).
        """
        check_int(max_states, "max_states", min_value=1)
        names = list(self.controls)
        choices = [control_values(self.controls[name]) for name in names]
        n_states = int(np.prod([len(values) for values in choices]))
        if n_states > max_states:
            raise ValueError(f"the controls have {n_states} combinations of values, more than max_states={max_states}")
        if n_states > self._cache_size:
            raise ValueError(
                f"the controls have {n_states} combinations of values, more than cache_size={self._cache_size}"
            )
        current = self.values
        before = self.render_count
        for combination in itertools.product(*choices):
            self.set_values(**dict(zip(names, combination, strict=True)))
        self.set_values(**current)  # back where the student left it (a cache hit)
        return self.render_count - before

    def redraw(self) -> None:
        """Render the figure for the current values (from the cache when possible), now."""
        self._show(self.values)

    # -- drawing

    def _key(self, values: dict) -> tuple:
        return tuple(sorted((name, _same_notch(value)) for name, value in values.items()))

    def _show(self, values: dict) -> None:
        """Draw ``values`` (or take them from the cache) and put them on screen.

        If the controls moved on while it drew (a cached value was shown meanwhile),
        the drawing only goes into the cache.
        """
        with _DRAWING:
            start = time.perf_counter()
            key = self._key(values)
            hit = self._cached(key)
            if hit is None:
                try:
                    with _no_pyplot_leak():
                        hit = self._draw(values)
                except Exception as error:  # a warning made an error by a filter lands here too
                    with self._screen:
                        if key == self._key(self.values):
                            self._show_error(error, values)
                    return
                with self._screen:
                    self._remember(key, *hit)
            with self._screen:
                if key == self._key(self.values):
                    self._put_on_screen(values, *hit, start)

    def _show_if_cached(self, values: dict) -> bool:
        """Put ``values`` on screen now if they are in the cache (no waiting for a drawing ahead)."""
        start = time.perf_counter()
        with self._screen:
            hit = self._cached(self._key(values))
            if hit is None:
                return False
            self._put_on_screen(values, *hit, start)
        return True

    def _cached(self, key: tuple) -> tuple[bytes, str] | None:
        """The cached (png, caption) for ``key``, marked as just used; None when not cached."""
        with self._screen:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _put_on_screen(self, values: dict, png: bytes, caption: str, start: float) -> None:
        self.last_error = None
        self._last_exception = None
        self.image.value = png
        self.caption_text = caption
        self.caption.value = _caption_html(caption)
        self.shown_values = dict(values)
        self.last_render_ms = (time.perf_counter() - start) * 1000

    def _draw_ahead(self, values: dict) -> None:
        """Render ``values`` into the cache only, quietly; anything unusual is left for later.

        A value whose render raises or warns is not cached: when the student reaches
        it, it is drawn on screen and the message shows where it belongs.
        """
        with _DRAWING:
            key = self._key(values)
            if not self._cache_size or key in self._cache:
                return
            # sys.stdout is not swapped here: the kernel points it at each new request's
            # output, and a swapped stream would miss that and send a cell's prints elsewhere.
            try:
                with _no_pyplot_leak(), warnings.catch_warnings(record=True) as caught:  # the filters in force decide
                    png, caption = self._draw(values)
            except Exception:  # noqa: BLE001 - shown when the student gets there
                if self._blitter is not None:
                    self._blitter.invalidate()
                return
            finally:
                self.ahead_count += 1
            if not caught:
                with self._screen:
                    self._remember(key, png, caption)

    def _draw(self, values: dict) -> tuple[bytes, str]:
        if self._blitter is not None:
            caption = self._render(**values)
            self.render_count += 1
            if caption is not None and not isinstance(caption, str):
                raise TypeError(f"with figure=, render must return a caption str or None, got {type(caption).__name__}")
            return self._blitter.draw(), caption or ""
        result = self._render(**values)
        self.render_count += 1
        caption = ""
        if isinstance(result, tuple):
            if len(result) != 2:
                raise ValueError("render must return a Figure or a (Figure, caption) pair")
            result, caption = result
        return figure_to_png(result, dpi=self._dpi), str(caption)

    def _remember(self, key: tuple, png: bytes, caption: str) -> None:
        if self._cache_size:
            self._cache[key] = (png, caption)
            self._cache.move_to_end(key)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _show_error(self, error: Exception, values: dict) -> None:
        """Say in the widget what failed and for which values; keep the last good picture."""
        settings = ", ".join(f"{name}={_same_notch(value)!r}" for name, value in values.items())
        self.last_error = f"{type(error).__name__}: {error} (with {settings})"
        self._last_exception = error
        if self._blitter is not None:
            self._blitter.invalidate()  # a half-done update may have changed anything: draw it all next
        self.caption_text = self.last_error
        self.caption.value = _error_html(self.last_error)
        self.shown_values = dict(values)

    # -- controls

    def _on_change(self, change) -> None:
        if self._quiet:
            return
        if not _BACKGROUND.from_front_end():
            self.redraw()  # code in a cell changed it: draw now, in order
            return
        values = self.values
        ahead = self._neighbours(self._names.get(id(change["owner"])), change["old"], values)
        # A cached value shows at once, in this thread, even while the background thread draws.
        _BACKGROUND.request(self, None if self._show_if_cached(values) else values, ahead)

    def _neighbours(self, name: str | None, old, values: dict) -> list[dict]:
        """The values to draw ahead after ``name`` moved from ``old`` (None: nothing moved yet).

        The control that moved: ``AHEAD_STEPS`` onwards, then one back. Then every
        other control one step up, then every other control one step down.
        """
        if not self._cache_size:
            return []

        def moved(control: str, steps: list[int]) -> list[dict]:
            every = control_values(self.controls[control])
            keys = [_same_notch(v) for v in every]
            if _same_notch(values[control]) not in keys:
                return []
            here = keys.index(_same_notch(values[control]))
            return [{**values, control: every[here + step]} for step in steps if 0 <= here + step < len(every)]

        plans = []
        if name is not None:
            keys = [_same_notch(v) for v in control_values(self.controls[name])]
            here, before = _same_notch(values[name]), _same_notch(old)
            downwards = here in keys and before in keys and keys.index(before) > keys.index(here)
            onwards = -1 if downwards else 1
            plans += moved(name, [onwards * k for k in range(1, AHEAD_STEPS + 1)] + [-onwards])
        others = [control for control in self.controls if control != name]
        for step in (1, -1):
            for control in others:
                plans += moved(control, [step])
        return plans

    def _repr_mimebundle_(self, **kwargs):
        # In JupyterLab the live widget view wins; a static reader (GitHub, nbviewer)
        # falls back to the PNG of the figure as it was last drawn, and to plain text.
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        # The caption first (the figure's numbers in words, for readers of the static page), then the note.
        bundle["text/plain"] = f"{self.caption_text}\n{KERNEL_NOTE}" if self.caption_text else KERNEL_NOTE
        return bundle


def _same_notch(value):
    """A float slider's value without float noise: the browser may send 0.30000000000000004 for 0.3."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


def live_figures() -> list[InteractiveFigure]:
    """The interactive figures created in this Python process, oldest first."""
    return sorted(_LIVE_FIGURES, key=lambda figure: figure._order)


def wait_until_idle(timeout: float = 30.0) -> bool:
    """Wait until the background thread has drawn every pending change (and drawn ahead).

    For tests and benchmarks run inside a kernel; returns False on timeout.
    """
    return _BACKGROUND.wait_idle(timeout)


def _error_html(text: str) -> str:
    # role=alert: announced at once; the frame keeps it apart from a normal caption.
    return (
        '<div role="alert" class="rare-cases-error" style="color:#a40000;border-left:3px solid #a40000;'
        f'padding-left:6px">The figure could not be drawn: {html.escape(text)}</div>'
    )


def _caption_html(text: str) -> str:
    if not text:
        return ""
    body = html.escape(text).replace("\n", "<br>")
    # role=status: screen readers announce the new numbers after each change.
    return f'<div role="status" aria-live="polite" class="rare-cases-caption">{body}</div>'


def interactive_figure(
    render, *, figure: Figure | None = None, cache_size: int = 256, dpi: float | None = None, **controls
) -> InteractiveFigure:
    """Shortcut for ``InteractiveFigure(render, controls)`` with the controls as keywords."""
    return InteractiveFigure(render, controls, figure=figure, cache_size=cache_size, dpi=dpi)
