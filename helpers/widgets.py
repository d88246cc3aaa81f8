"""Widget plumbing: controls bound to a figure that redraws in place.

A lesson writes one *render function* that takes the controls' values as
keyword arguments and returns a matplotlib figure (optionally with a caption
that states the figure's numbers in words). :class:`InteractiveFigure` does
the rest, the same way everywhere:

* it renders once on creation, so the figure shows with the default values
  even where there is no kernel (the notebook read on the web shows a PNG
  copy of the first figure);
* every change of a control re-renders on the kernel side into one
  ``widgets.Image``, in place (no ``plt.show()``, no growing output);
* figures are cached by control values, so going back to a value costs
  nothing, and the render function never needs to refit a model.

Redrawing a whole figure costs matplotlib 50–200 ms, mostly in drawing axes,
ticks and text that do not change. For a figure where only a few things move
(a point on a curve, a line, a bar, a number), build the figure **once** and
pass it as ``figure=``; the function then only *updates* artists and returns
the caption. Artists created with ``animated=True`` are redrawn on each step
over a copy of everything else (matplotlib's blitting); if the update changes
anything that is not animated (an axis limit, a title), the whole figure is
redrawn, so the picture is always right and only the speed differs. A panel
whose limits or ticks move can itself be animated (``ax.set_animated(True)``).
A legend drawn over moving artists is animated too; if its labels change, make
it a figure legend placed on the panel (``fig.legend(..., bbox_transform=
ax.transAxes)``), because an axes legend's texts report changes to their axes.

>>> fig = Figure(figsize=(4, 3))
>>> ax = fig.add_subplot()
>>> bars = ax.bar(["majority", "minority"], [0.9, 0.1], animated=True)
>>> def update(prevalence):
...     bars[0].set_height(1 - prevalence)
...     bars[1].set_height(prevalence)
...     return f"prevalence {prevalence:.0%}"
>>> view = InteractiveFigure(update, {"prevalence": widgets.FloatSlider(
...     value=0.2, min=0.01, max=0.5, step=0.01, description="prevalence")}, figure=fig)
>>> view.caption_text
'prevalence 20%'

Example
-------
>>> import ipywidgets as widgets
>>> from matplotlib.figure import Figure
>>> def render(prevalence):
...     fig = Figure(figsize=(4, 3))
...     ax = fig.add_subplot()
...     ax.bar(["majority", "minority"], [1 - prevalence, prevalence])
...     return fig, f"prevalence {prevalence:.0%}"
>>> view = InteractiveFigure(render, {"prevalence": widgets.FloatSlider(
...     value=0.1, min=0.01, max=0.5, step=0.01, description="prevalence")})
>>> view.caption_text
'prevalence 10%'
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from helpers._validation import check_int

KERNEL_NOTE = "Interactive figure: move the controls in a running notebook (they need a live Python kernel)."

# The value-holding controls the plumbing knows how to enumerate (for sweeps and tests).
_SLIDERS = (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider)
# Every interactive figure created in this process, so tests can sweep them all.
_LIVE_FIGURES: weakref.WeakSet = weakref.WeakSet()

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


class InteractiveFigure(widgets.VBox):
    """Controls above a figure that a render function redraws in place.

    Parameters
    ----------
    render : callable
        Called with the controls' values as keyword arguments (one per key of
        ``controls``). Without ``figure``: returns a new matplotlib ``Figure``,
        or a pair ``(Figure, caption)`` where ``caption`` is text stating what
        the figure shows in numbers (it is also what a screen reader reads).
        With ``figure``: updates that figure's artists for the values, every
        changing artist from the values alone (a cached state is skipped, so
        the previous call is not necessarily the previous value), and returns
        the caption (or None).
    controls : mapping of str to ipywidget
        Keyword name → control. Every control needs a ``description``.
    figure : matplotlib Figure, optional
        A figure built once and updated by ``render``. Its artists created with
        ``animated=True`` are redrawn over a saved background on every step, on
        top of the other artists (in zorder among themselves); a change to any
        other artist (even setting the same value) redraws the whole figure.
    cache_size : int, default=256
        How many rendered figures to keep, keyed by the controls' values.
        0 disables the cache (for render functions with hidden state).
    dpi : float or None
        Resolution of the rendered PNG; matplotlib's ``savefig.dpi`` when None.

    Attributes
    ----------
    controls : dict
    image : ipywidgets.Image
    caption : ipywidgets.HTML
    caption_text : str
        The caption as plain text.
    render_count : int
        How many times ``render`` was actually called (cache misses).
    full_draw_count : int
        With ``figure``: how many times the whole figure was drawn (the first
        time, and after each update that changed a non-animated artist).
    last_render_ms : float
        Time of the latest update, render and PNG encoding included.
    last_error : str or None
        When the latest render raised: the exception's type and message and the
        control values that caused it (also shown in the widget, in place of the
        caption, over the last picture that did draw). None after a render that
        worked. Changing a control, ``set_values`` and ``redraw`` never raise for
        an error inside ``render``: they record it here. Only the first drawing
        (on creation, with the default values) raises, so a broken figure fails
        the notebook's run.
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
        self._figure = figure
        self._background = None  # the figure without its animated artists, once drawn
        if figure is not None:
            if dpi is not None:
                figure.set_dpi(dpi)
            if not isinstance(figure.canvas, FigureCanvasAgg):
                FigureCanvasAgg(figure)  # a Figure() made without pyplot has no pixel buffer yet
            plt.close(figure)  # pyplot must not show it again at the end of the cell
        # Control changes arrive from the kernel's comm handler; one redraw at a time.
        self._lock = threading.RLock()
        self.caption_text = ""
        self.render_count = 0
        self.full_draw_count = 0
        self.last_render_ms = float("nan")
        self.last_error: str | None = None
        self._last_exception: Exception | None = None
        self.controls = dict(controls)
        for control in self.controls.values():
            control.style.description_width = "initial"
            control.observe(self._on_change, names="value")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.caption = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        panel = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([panel, self.image, self.caption])
        self.add_class("rare-cases-figure")
        self._order = len(_LIVE_FIGURES)
        self.redraw()
        if self.last_error is not None:
            # A figure that cannot draw its default values is a bug in the notebook: fail its run.
            raise self._last_exception
        _LIVE_FIGURES.add(self)

    @property
    def values(self) -> dict:
        """The controls' current values, by keyword name."""
        return {name: control.value for name, control in self.controls.items()}

    def set_values(self, **values) -> None:
        """Set some controls (as a student would) and redraw once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; this figure has {sorted(self.controls)}")
        with self._lock:
            with self.hold_trait_notifications():
                for control in self.controls.values():
                    control.unobserve(self._on_change, names="value")
                try:
                    for name, value in values.items():
                        self.controls[name].value = value
                finally:
                    for control in self.controls.values():
                        control.observe(self._on_change, names="value")
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
            raise ValueError(f"the controls have {n_states} combinations of values, more than cache_size={self._cache_size}")
        current = self.values
        before = self.render_count
        for combination in itertools.product(*choices):
            self.set_values(**dict(zip(names, combination, strict=True)))
        self.set_values(**current)  # back where the student left it (a cache hit)
        return self.render_count - before

    def redraw(self) -> None:
        """Render the figure for the current values (from the cache when possible)."""
        with self._lock:
            start = time.perf_counter()
            values = self.values
            key = tuple(sorted((name, _same_notch(value)) for name, value in values.items()))
            if key in self._cache:
                self._cache.move_to_end(key)
                png, caption = self._cache[key]
            else:
                try:
                    png, caption = self._update_png(values) if self._figure is not None else self._render_png(values)
                except Exception as error:  # a warning made an error by a filter lands here too
                    self._show_error(error, values)
                    return
                if self._cache_size:
                    self._cache[key] = (png, caption)
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
            self.last_error = None
            self.image.value = png
            self.caption_text = caption
            self.caption.value = _caption_html(caption)
            self.last_render_ms = (time.perf_counter() - start) * 1000

    def _show_error(self, error: Exception, values: dict) -> None:
        """Say in the widget what failed and for which values; keep the last good picture."""
        settings = ", ".join(f"{name}={_same_notch(value)!r}" for name, value in values.items())
        self.last_error = f"{type(error).__name__}: {error} (with {settings})"
        self._last_exception = error
        self._background = None  # a half-done update may have changed anything: draw it all next time
        self.caption_text = self.last_error
        self.caption.value = _error_html(self.last_error)

    def _update_png(self, values: dict) -> tuple[bytes, str]:
        fig = self._figure
        caption = self._render(**values)
        if caption is not None and not isinstance(caption, str):
            raise TypeError(f"with figure=, render must return a caption str or None, got {type(caption).__name__}")
        self.render_count += 1
        canvas = fig.canvas
        # A changed non-animated artist marks the figure stale (animated ones do not):
        # then the saved background is out of date and everything is drawn again.
        if self._background is None or fig.stale:
            canvas.draw()  # draws everything except the animated artists
            self._background = canvas.copy_from_bbox(fig.bbox)
            self.full_draw_count += 1
        else:
            canvas.restore_region(self._background)
        animated = fig.findobj(lambda artist: artist.get_animated() and artist.get_visible())
        for artist in sorted(animated, key=lambda artist: artist.get_zorder()):
            fig.draw_artist(artist)
        # Drawing an animated container (a legend) can touch its plain children, which marks
        # the figure stale; what they changed is on the canvas already.
        fig.stale = False
        return _canvas_to_png(canvas), caption or ""

    def _render_png(self, values: dict) -> tuple[bytes, str]:
        result = self._render(**values)
        caption = ""
        if isinstance(result, tuple):
            if len(result) != 2:
                raise ValueError("render must return a Figure or a (Figure, caption) pair")
            result, caption = result
        self.render_count += 1
        return figure_to_png(result, dpi=self._dpi), str(caption)

    def _on_change(self, change) -> None:
        self.redraw()

    def _repr_mimebundle_(self, **kwargs):
        # In JupyterLab the live widget view wins; a static reader (GitHub, nbviewer)
        # falls back to the PNG of the figure as it was last drawn, and to plain text.
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = KERNEL_NOTE
        return bundle


def _same_notch(value):
    """A float slider's value without float noise: the browser may send 0.30000000000000004 for 0.3."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


def live_figures() -> list[InteractiveFigure]:
    """The interactive figures created in this Python process, oldest first."""
    return sorted(_LIVE_FIGURES, key=lambda figure: figure._order)


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
