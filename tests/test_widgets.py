"""helpers.widgets: controls redraw one figure in place, with a cache and a static fallback."""

from __future__ import annotations

import base64
import io
import re
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from PIL import Image

from helpers import widgets as hw

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_view(**kwargs):
    calls = []

    def render(share, kind):
        calls.append((share, kind))
        fig = Figure(figsize=(3, 2))
        ax = fig.add_subplot()
        ax.bar(["majority", "minority"], [1 - share, share])
        return fig, f"{kind}: minority share {share:.0%}"

    view = hw.interactive_figure(
        render,
        share=widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.1, description="minority share"),
        kind=widgets.Dropdown(options=["a", "b"], value="a", description="kind"),
        **kwargs,
    )
    return view, calls


def test_renders_on_display_with_default_values():
    view, calls = make_view()
    assert calls == [(0.1, "a")]
    assert bytes(view.image.value).startswith(PNG_SIGNATURE)
    assert view.caption_text == "a: minority share 10%"
    assert 'role="status"' in view.caption.value


def test_control_change_redraws_in_place():
    view, calls = make_view()
    first = view.image.value
    view.controls["share"].value = 0.3
    assert calls[-1] == (0.3, "a")
    assert view.image.value != first
    assert view.caption_text == "a: minority share 30%"
    assert view.children[1] is view.image  # the same Image widget, updated in place


def test_cache_avoids_rerendering_a_seen_state():
    view, calls = make_view()
    png = view.image.value
    view.controls["share"].value = 0.3
    view.controls["share"].value = 0.1
    assert len(calls) == 2 and view.render_count == 2
    assert view.image.value == png


def test_float_noise_from_the_browser_hits_the_cache():
    view, calls = make_view()
    view.controls["share"].value = 0.3
    view.controls["share"].value = 0.1
    view.controls["share"].value = 0.1 + 0.2  # 0.30000000000000004, as a slider's arithmetic may send it
    assert len(calls) == 2


def test_cache_can_be_disabled():
    view, calls = make_view(cache_size=0)
    view.controls["share"].value = 0.3
    view.controls["share"].value = 0.1
    assert len(calls) == 3


def test_prerender_fills_the_cache_with_every_state():
    view, calls = make_view()
    png = view.image.value
    assert view.prerender() == 12 - 1  # 6 shares x 2 kinds, the default already drawn
    assert sorted(set(calls)) == sorted((s, k) for s in [0.0, 0.1, 0.2, 0.3, 0.4, 0.5] for k in "ab")
    assert view.values == {"share": 0.1, "kind": "a"} and view.image.value == png  # left where it was
    for share in [0.5, 0.0, 0.3]:
        view.controls["share"].value = share
    view.controls["kind"].value = "b"
    assert view.render_count == 12  # every step a cache hit
    assert view.prerender() == 0


def test_prerender_refuses_too_many_states():
    view, calls = make_view()
    with pytest.raises(ValueError, match=re.escape("12 combinations of values, more than max_states=10")):
        view.prerender(max_states=10)
    small_cache, _ = make_view(cache_size=4)
    with pytest.raises(ValueError, match=re.escape("more than cache_size=4")):
        small_cache.prerender()
    assert len(calls) == 1  # nothing rendered before refusing


def test_set_values_redraws_once():
    view, calls = make_view()
    view.set_values(share=0.5, kind="b")
    assert calls[-1] == (0.5, "b") and len(calls) == 2
    with pytest.raises(ValueError, match="unknown control"):
        view.set_values(colour="red")


def test_static_fallback_in_the_mimebundle():
    view, _ = make_view()
    bundle = view._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == view.image.value
    # The caption, for readers of a static page, then the note; stable text: no reprs with ids or bytes.
    assert bundle["text/plain"] == f"a: minority share 10%\n{hw.KERNEL_NOTE}"
    assert "application/vnd.jupyter.widget-view+json" in bundle


# ---------------------------------------------------------------- figure= : update artists in place


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), dtype=int)


def build_shares_figure():
    """A bar chart whose bars and value label are animated, with a title that is not."""
    fig = Figure(figsize=(3, 2), dpi=60)
    ax = fig.add_subplot()
    ax.set_ylim(0, 1.05)  # animated artists are drawn over the rest: keep the bars off the frame
    bars = ax.bar(["majority", "minority"], [0.9, 0.1], animated=True)
    label = ax.text(1, 0.95, "", ha="center", va="top", animated=True)
    return fig, ax, bars, label


def make_updating_view(**kwargs):
    fig, ax, bars, label = build_shares_figure()
    calls = []

    def update(share, title):
        calls.append((share, title))
        bars[0].set_height(1 - share)
        bars[1].set_height(share)
        label.set_text(f"{share:.0%}")
        # The title is not animated: setting it (even to the same text) redraws the whole figure.
        if ax.get_title() != ("with title" if title else ""):
            ax.set_title("with title" if title else "")
        return f"minority share {share:.0%}"

    view = hw.interactive_figure(
        update,
        figure=fig,
        share=widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.1, description="minority share"),
        title=widgets.Checkbox(value=False, description="title"),
        **kwargs,
    )
    return view, calls


def fresh_png(share, title):
    """The same state drawn from scratch, the slow way."""
    fig, ax, bars, label = build_shares_figure()
    bars[0].set_height(1 - share)
    bars[1].set_height(share)
    label.set_text(f"{share:.0%}")
    ax.set_title("with title" if title else "")
    return hw.figure_to_png(fig, dpi=fig.dpi)  # whatever savefig.dpi another test left in rcParams


def test_updated_figure_matches_a_fresh_drawing():
    # matplotlib's own style, whatever another test set: there the animated bars overlap nothing
    # (they are drawn on top, so over a frame or grid line they would differ from a fresh drawing)
    with plt.style.context("default"):
        view, calls = make_updating_view()
        assert calls == [(0.1, False)] and view.caption_text == "minority share 10%"
        # go forward, back through the cache, then to a value whose previous call was another value
        for share, title in [(0.3, False), (0.1, False), (0.5, False), (0.2, True), (0.0, False)]:
            view.set_values(share=share, title=title)
            assert view.image.value[:8] == PNG_SIGNATURE
            np.testing.assert_array_equal(
                pixels(view.image.value), pixels(fresh_png(share, title)), err_msg=f"{share}, {title}"
            )


def test_only_animated_changes_skip_the_full_drawing():
    view, _ = make_updating_view()
    assert view.full_draw_count == 1
    view.controls["share"].value = 0.3
    view.controls["share"].value = 0.4
    assert view.full_draw_count == 1 and view.render_count == 3
    view.controls["title"].value = True  # the title is not animated: everything is drawn again
    assert view.full_draw_count == 2
    view.controls["share"].value = 0.5
    assert view.full_draw_count == 2


def test_an_animated_legend_does_not_force_full_drawings():
    fig = Figure(figsize=(3, 2), dpi=60)
    ax = fig.add_subplot()
    (line,) = ax.plot([0, 1], [0, 1], label="curve", animated=True)
    ax.legend().set_animated(True)  # drawing it touches its plain children

    def update(slope):
        line.set_ydata([0, slope])
        return f"slope {slope}"

    view = hw.interactive_figure(
        update, figure=fig, slope=widgets.FloatSlider(value=0.5, min=0, max=1, step=0.1, description="slope")
    )
    for slope in [0.1, 0.2, 0.3]:
        view.controls["slope"].value = slope
    assert view.render_count == 4 and view.full_draw_count == 1


def test_live_figures_registry():
    view, _ = make_view()
    assert view in hw.live_figures()


@pytest.mark.parametrize(
    "control, expected",
    [
        (widgets.IntSlider(min=2, max=10, step=4), [2, 6, 10]),
        (widgets.FloatSlider(min=0.0, max=1.0, step=0.25), [0.0, 0.25, 0.5, 0.75, 1.0]),
        (widgets.FloatLogSlider(base=10, min=-2, max=0, step=1), [0.01, 0.1, 1.0]),
        (widgets.Dropdown(options=[("low", 1), ("high", 2)]), [1, 2]),
        (widgets.ToggleButtons(options=["x", "y"]), ["x", "y"]),
        (widgets.SelectionSlider(options=[1, 5, 10]), [1, 5, 10]),
        (widgets.Checkbox(), [False, True]),
    ],
)
def test_control_values_include_both_ends(control, expected):
    values = hw.control_values(control)
    if isinstance(expected[0], str):
        assert values == expected
    else:
        np.testing.assert_allclose(values, expected)


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(-100, 100),
    n_steps=st.integers(1, 200),
    step=st.sampled_from([0.001, 0.01, 0.05, 0.1, 0.5, 1.0]),
)
def test_float_slider_values_cover_the_range(low, n_steps, step):
    slider = widgets.FloatSlider(min=low, max=low + n_steps * step, step=step, value=low)
    values = hw.control_values(slider)
    assert values[0] == pytest.approx(slider.min, rel=1e-9, abs=1e-12)
    assert values[-1] == pytest.approx(slider.max, rel=1e-9, abs=1e-9)
    assert len(values) == n_steps + 1
    assert all(slider.min - 1e-9 <= value <= slider.max + 1e-9 for value in values)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: hw.interactive_figure("render", x=widgets.IntSlider(description="x")),
            TypeError,
            "render must be callable",
        ),
        (lambda: hw.InteractiveFigure(lambda: None, {}), ValueError, "controls must be a non-empty mapping"),
        (lambda: hw.interactive_figure(lambda x: None, x=widgets.IntSlider()), ValueError, "needs a description"),
        (
            lambda: hw.interactive_figure(lambda x: None, x=widgets.Text(description="x")),
            TypeError,
            "control must be a slider",
        ),
        (
            lambda: hw.interactive_figure(lambda x: None, cache_size=-1, x=widgets.IntSlider(description="x")),
            ValueError,
            "cache_size must be >= 0",
        ),
        (
            lambda: hw.interactive_figure(lambda x: "no figure", x=widgets.IntSlider(description="x")),
            TypeError,
            "fig must be a matplotlib Figure",
        ),
        (
            lambda: hw.interactive_figure(lambda x: (Figure(), "a", "b"), x=widgets.IntSlider(description="x")),
            ValueError,
            "render must return a Figure or a (Figure, caption) pair",
        ),
        (lambda: hw.figure_to_png(None), TypeError, "fig must be a matplotlib Figure"),
        (
            lambda: hw.interactive_figure(lambda x: None, figure="fig", x=widgets.IntSlider(description="x")),
            TypeError,
            "figure must be a matplotlib Figure or None, got str",
        ),
        (
            lambda: hw.interactive_figure(lambda x: Figure(), figure=Figure(), x=widgets.IntSlider(description="x")),
            TypeError,
            "with figure=, render must return a caption str or None, got Figure",
        ),
        (lambda: hw.control_values(widgets.Text()), TypeError, "control must be a slider"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# ---------------------------------------------------------------- errors show in the widget


def make_fragile_view(**kwargs):
    """A figure whose render fails at share 0.3 (raises) and at share 0.0 (a warning made an error)."""
    import warnings

    def render(share):
        if share == 0.3:
            raise ValueError("no bar for this share")
        if share == 0.0:
            warnings.warn("empty minority class", RuntimeWarning, stacklevel=2)
        fig = Figure(figsize=(3, 2))
        fig.add_subplot().bar(["majority", "minority"], [1 - share, share])
        return fig, f"minority share {share:.0%}"

    slider = widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.1, description="minority share")
    return hw.interactive_figure(render, share=slider, **kwargs)


def test_an_error_shows_in_the_widget_and_the_next_good_value_clears_it():
    view = make_fragile_view()
    good_png = view.image.value
    assert view.last_error is None
    view.controls["share"].value = 0.3  # as the front end would: no exception escapes
    assert view.last_error == "ValueError: no bar for this share (with share=0.3)"
    assert 'role="alert"' in view.caption.value and "no bar for this share" in view.caption.value
    assert "share=0.3" in view.caption.value and view.caption_text == view.last_error
    assert view.image.value == good_png  # the last picture that drew stays
    view.controls["share"].value = 0.4
    assert view.last_error is None and view.caption_text == "minority share 40%"
    assert "alert" not in view.caption.value and view.image.value != good_png
    view.set_values(share=0.3)  # from code: recorded too, not cached as if it had worked
    assert view.last_error.startswith("ValueError") and view.render_count == 2
    view.redraw()
    assert view.last_error.startswith("ValueError")


def test_a_warning_stays_a_warning_unless_a_filter_makes_it_an_error():
    import warnings

    view = make_fragile_view(cache_size=0)
    with pytest.warns(RuntimeWarning, match="empty minority class"):
        view.set_values(share=0.0)
    assert view.last_error is None and view.caption_text == "minority share 0%"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view.set_values(share=0.0)
    assert view.last_error == "RuntimeWarning: empty minority class (with share=0.0)"


def test_an_error_in_an_update_forces_a_full_drawing_next():
    view, _ = make_updating_view()
    original = view._render

    def failing_update(share, title):
        original(share, title)
        raise RuntimeError("half done")

    view._render = failing_update
    view.set_values(share=0.4)
    assert view.last_error == "RuntimeError: half done (with share=0.4, title=False)"
    view._render = original
    before = view.full_draw_count
    view.set_values(share=0.2)
    assert view.last_error is None and view.full_draw_count == before + 1


def test_a_figure_that_cannot_draw_its_defaults_fails_on_creation():
    def render(x):
        raise KeyError("missing column")

    with pytest.raises(KeyError, match="missing column"):
        hw.interactive_figure(render, x=widgets.IntSlider(description="x"))


# ---------------------------------------------------------------- figure= without animated artists


def build_plain_figure():
    """A lesson-style figure: nothing animated; bars, a line and a text under a frame and a grid."""
    fig = Figure(figsize=(3, 2), dpi=60)
    ax = fig.add_subplot()
    ax.set_ylim(0, 1)  # fixed limits: an update moves data only
    ax.grid(True)
    bars = ax.bar(["majority", "minority"], [0.9, 0.1])
    (line,) = ax.plot([-0.4, 1.4], [0.5, 0.5], color="black")
    label = ax.text(1, 0.95, "", ha="center", va="top")
    ax.set_title("shares")
    return fig, ax, bars, line, label


def update_plain(parts, share, title=False):
    fig, ax, bars, line, label = parts
    bars[0].set_height(1 - share)
    bars[1].set_height(share)
    line.set_ydata([share, share])
    label.set_text(f"{share:.0%}")
    wanted = f"shares, {share:.0%}" if title else "shares"
    if ax.get_title() != wanted:
        ax.set_title(wanted)  # a structural change: the whole figure is drawn
    return f"minority share {share:.0%}"


def make_plain_updating_view(**kwargs):
    parts = build_plain_figure()
    view = hw.interactive_figure(
        lambda share, title: update_plain(parts, share, title),
        figure=parts[0],
        share=widgets.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.1, description="minority share"),
        title=widgets.Checkbox(value=False, description="title in the title"),
        **kwargs,
    )
    return view, parts


def fresh_plain_png(share, title=False):
    parts = build_plain_figure()
    update_plain(parts, share, title)
    return hw.figure_to_png(parts[0], dpi=parts[0].dpi)


def test_changed_data_artists_are_found_and_redrawn_alone_and_match_a_fresh_drawing():
    with plt.style.context("default"):
        view, (fig, ax, bars, line, label) = make_plain_updating_view()
        assert not any(artist.get_animated() for artist in fig.findobj())
        # the bars overlap the frame and the grid, and cross the line: the pixels must still match
        for share in [0.3, 0.9, 1.0, 0.0, 0.6]:
            view.set_values(share=share)
            np.testing.assert_array_equal(
                pixels(view.image.value), pixels(fresh_plain_png(share)), err_msg=f"share {share}"
            )
        assert view.full_draw_count == 2  # the first drawing, then once more when the layer was found
        assert set(view._blitter.layer) == {bars[0], bars[1], line, label}
        assert not any(artist.get_animated() for artist in fig.findobj())  # nothing left animated


def test_a_structural_change_draws_the_whole_figure_and_stays_right():
    with plt.style.context("default"):
        view, _ = make_plain_updating_view()
        view.set_values(share=0.3)
        before = view.full_draw_count
        view.set_values(share=0.4, title=True)
        assert view.full_draw_count == before + 1
        np.testing.assert_array_equal(pixels(view.image.value), pixels(fresh_plain_png(0.4, True)))
        view.set_values(share=0.7, title=False)  # the title changes back: whole figure again
        np.testing.assert_array_equal(pixels(view.image.value), pixels(fresh_plain_png(0.7, False)))


def test_limits_that_move_draw_the_whole_figure():
    fig = Figure(figsize=(3, 2), dpi=60)
    ax = fig.add_subplot()
    (line,) = ax.plot([0, 1], [0, 1])

    def update(top):
        line.set_ydata([0, top])
        ax.set_ylim(0, top)  # the ticks change with the limits
        return None

    view = hw.interactive_figure(update, figure=fig, top=widgets.IntSlider(value=1, min=1, max=5, description="top"))
    for top in [2, 3, 4]:
        view.set_values(top=top)
    assert view.full_draw_count == 4


# ---------------------------------------------------------------- the background thread


@pytest.fixture
def front_end():
    """Changes made by the test act as changes from a browser: no cell is executing."""
    hw._BACKGROUND.attach()
    yield hw._BACKGROUND
    hw._BACKGROUND.detach()


def settle():
    assert hw.wait_until_idle(timeout=30), "the background thread did not finish"


def test_no_drawing_ahead_without_a_front_end():
    view, calls = make_view()
    assert not hw._BACKGROUND.from_front_end()
    view.controls["share"].value = 0.2  # code in a cell (or nbclient) changed it: drawn now, nothing ahead
    assert calls == [(0.1, "a"), (0.2, "a")] and view.ahead_count == 0
    assert hw._BACKGROUND._thread is None or not hw._BACKGROUND._requests


def test_front_end_changes_draw_ahead_in_the_direction_of_motion(front_end):
    view, calls = make_view()
    # Moving up: 0.3, 0.4, 0.5 ahead, then 0.1 behind (cached), then the other control's step.
    view.controls["share"].value = 0.2
    settle()
    assert view.shown_values == {"share": 0.2, "kind": "a"} and view.caption_text == "a: minority share 20%"
    assert calls == [(0.1, "a"), (0.2, "a"), (0.3, "a"), (0.4, "a"), (0.5, "a"), (0.2, "b")]
    assert view.ahead_count == 4
    view.controls["share"].value = 0.3  # a cache hit, ready before the student pressed the key
    settle()
    assert view.caption_text == "a: minority share 30%" and calls.count((0.3, "a")) == 1
    assert calls[-1] == (0.3, "b")  # drawn ahead: the other control's next step from here
    view.controls["kind"].value = "b"  # a cache hit again; now the slider's steps at "b" are drawn ahead
    settle()
    assert view.caption_text == "b: minority share 30%" and calls.count((0.3, "b")) == 1
    assert calls[-1] == (0.4, "b")


def test_a_cell_execution_holds_the_background_thread(front_end):
    view, calls = make_view()
    with front_end.cell():
        view.controls["share"].value = 0.4  # inside a cell: drawn at once, in this thread
        assert view.caption_text == "a: minority share 40%"
    assert view.ahead_count == 0
    view.controls["share"].value = 0.3
    with front_end.cell():
        time.sleep(0.3)  # longer than the delay before drawing ahead
        ahead_during_cell = view.ahead_count
    settle()
    assert ahead_during_cell == 0 and view.ahead_count > 0


def test_changes_during_a_drawing_are_coalesced_latest_wins(front_end):
    import threading

    release = threading.Event()
    view, calls = make_view(cache_size=0)

    original = view._render

    def slow(share, kind):
        if share == 0.1 and kind == "b":
            release.wait(10)  # the first drawing of the drag takes long
        return original(share, kind)

    view._render = slow
    view.controls["kind"].value = "b"  # starts drawing (0.1, b) and blocks
    deadline = time.monotonic() + 10
    while not front_end.busy and time.monotonic() < deadline:
        time.sleep(0.01)
    for share in [0.2, 0.3, 0.4, 0.5]:  # a drag goes on meanwhile
        view.controls["share"].value = share
    release.set()
    settle()
    assert (0.2, "b") not in calls and (0.3, "b") not in calls and (0.4, "b") not in calls
    assert calls[:3] == [(0.1, "a"), (0.1, "b"), (0.5, "b")]
    assert view.shown_values == {"share": 0.5, "kind": "b"} and view.caption_text == "b: minority share 50%"


def test_drawing_ahead_leaks_no_pyplot_figure_and_keeps_errors_for_later(front_end):
    import warnings as _warnings

    def render(share):
        fig, ax = plt.subplots(figsize=(3, 2))  # pyplot, as some lessons do
        plt.figure()  # and a stray one it forgets
        if share >= 0.4:
            raise ValueError("too large")
        if share == 0.3:
            _warnings.warn("odd share", UserWarning, stacklevel=2)
        ax.bar(["a", "b"], [1 - share, share])
        return fig

    plt.close("all")
    view = hw.interactive_figure(
        render, share=widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.1, description="share")
    )
    assert plt.get_fignums() == []  # the first drawing (in this thread) left nothing open
    view.controls["share"].value = 0.2  # ahead: 0.3 (warns), 0.4 and 0.5 (raise), 0.1 (cached)
    settle()
    assert plt.get_fignums() == [], "a figure drawn in the background is still open in pyplot"
    assert view.ahead_count == 3 and view.last_error is None  # a failure ahead is not shown
    cached = {dict(key)["share"] for key in view._cache}
    assert cached == {0.1, 0.2}  # neither the warning nor the errors were cached
    with pytest.warns(UserWarning, match="odd share"):  # reached: drawn now, and it warns as it should
        view.controls["share"].value = 0.3
        settle()
    view.controls["share"].value = 0.4  # reached: now the error shows
    settle()
    assert view.last_error == "ValueError: too large (with share=0.4)"
    assert plt.get_fignums() == []


class _FakeShell:
    """Just enough of an IPython kernel shell: event hooks and the message being handled."""

    def __init__(self):
        self.parent = "execute_request"
        self.callbacks = {"pre_execute": [], "post_execute": []}
        self.events = self
        self.kernel = self

    def register(self, event, hook):
        self.callbacks[event].append(hook)

    def unregister(self, event, hook):
        self.callbacks[event].remove(hook)

    def get_parent(self, channel):
        return {"header": {"msg_type": self.parent}}

    def trigger(self, event):
        for hook in list(self.callbacks[event]):
            hook()


def test_a_front_end_message_holds_drawing_but_counts_as_a_front_end_change():
    shell = _FakeShell()
    hw._BACKGROUND.attach(shell)
    try:
        view, calls = make_view()
        shell.parent = "comm_msg"  # the comm package wraps a widget message in the execute hooks
        shell.trigger("pre_execute")
        view.controls["share"].value = 0.2
        assert hw._BACKGROUND.from_front_end() and hw._BACKGROUND.holding
        time.sleep(0.3)
        assert view.render_count == 1, "drew while the message was still being handled"
        shell.trigger("post_execute")
        settle()
        assert view.caption_text == "a: minority share 20%" and view.ahead_count == 4
        shell.parent = "execute_request"  # a cell: its changes are drawn at once, nothing ahead
        shell.trigger("pre_execute")
        view.controls["share"].value = 0.0
        assert view.caption_text == "a: minority share 0%" and not hw._BACKGROUND.from_front_end()
        shell.trigger("post_execute")
    finally:
        hw._BACKGROUND.detach()


def test_a_widget_message_does_not_wait_for_the_drawing_in_progress():
    import threading

    release = threading.Event()
    shell = _FakeShell()
    hw._BACKGROUND.attach(shell)
    try:
        view, calls = make_view(cache_size=0)
        original = view._render

        def slow(share, kind):
            if kind == "b":
                release.wait(10)
            return original(share, kind)

        view._render = slow

        def message(**values):
            shell.parent = "comm_msg"
            shell.trigger("pre_execute")
            for name, value in values.items():
                view.controls[name].value = value
            shell.trigger("post_execute")

        message(kind="b")  # the drawing of (0.1, b) starts and blocks
        deadline = time.monotonic() + 10
        while not hw._BACKGROUND.busy and time.monotonic() < deadline:
            time.sleep(0.01)
        drag = threading.Thread(target=lambda: [message(share=share) for share in (0.2, 0.3, 0.4)])
        drag.start()
        drag.join(timeout=5)
        handled_while_drawing = not drag.is_alive()
        release.set()
        drag.join(timeout=10)
        settle()
        assert handled_while_drawing, "a widget message waited for the drawing in progress"
        assert view.shown_values == {"share": 0.4, "kind": "b"}
        assert (0.2, "b") not in calls and (0.3, "b") not in calls  # coalesced: the latest won
    finally:
        release.set()
        hw._BACKGROUND.detach()


def test_a_widget_message_waits_while_a_pyplot_drawing_is_open():
    import threading

    shell = _FakeShell()
    hw._BACKGROUND.attach(shell)
    started, release = threading.Event(), threading.Event()

    def render(share):
        fig, ax = plt.subplots(figsize=(3, 2))  # matplotlib-inline would show it at a message's end
        if share > 0.1:
            started.set()
            release.wait(10)
        ax.bar(["a", "b"], [1 - share, share])
        return fig

    try:
        plt.close("all")
        view = hw.interactive_figure(
            render, share=widgets.FloatSlider(value=0.1, min=0.0, max=0.5, step=0.1, description="share")
        )
        shell.parent = "comm_msg"
        shell.trigger("pre_execute")
        view.controls["share"].value = 0.2
        shell.trigger("post_execute")
        assert started.wait(10)
        message = threading.Thread(target=lambda: shell.trigger("pre_execute"))
        message.start()
        message.join(timeout=0.5)
        waited = message.is_alive()
        release.set()
        message.join(timeout=10)
        shell.trigger("post_execute")
        settle()
        assert waited, "a widget message did not wait for an open pyplot drawing"
        assert plt.get_fignums() == []
    finally:
        release.set()
        hw._BACKGROUND.detach()


def test_first_steps_are_drawn_ahead_once_no_cell_runs():
    shell = _FakeShell()
    hw._BACKGROUND.attach(shell)
    try:
        shell.trigger("pre_execute")  # the cell that shows the figures
        view, calls = make_view()
        later, later_calls = make_view()
        shell.trigger("post_execute")
        shell.trigger("pre_execute")  # Run All goes on with the next cell: nothing is drawn meanwhile
        time.sleep(2 * hw.WARM_UP_DELAY_S)
        assert calls == [(0.1, "a")] and later_calls == [(0.1, "a")], "drew ahead while a cell ran"
        shell.trigger("post_execute")
        settle()
        # Every control one step up, then one step down; both figures, oldest first.
        assert calls == [(0.1, "a"), (0.2, "a"), (0.1, "b"), (0.0, "a")]
        assert later_calls == calls and view.ahead_count == 3
        shell.trigger("pre_execute")
        shell.trigger("post_execute")
        settle()
        assert view.ahead_count == 3 and later.ahead_count == 3, "planned the first steps twice"
        shell.parent = "comm_msg"  # the student's first step: a cache hit
        shell.trigger("pre_execute")
        view.controls["kind"].value = "b"
        shell.trigger("post_execute")
        settle()
        assert view.caption_text == "b: minority share 10%" and calls.count((0.1, "b")) == 1
        assert calls[-2:] == [(0.2, "b"), (0.0, "b")]  # and from there the slider's steps are drawn ahead
    finally:
        hw._BACKGROUND.detach()


def test_a_cached_value_shows_at_once_while_the_thread_draws(front_end):
    import threading

    started, release = threading.Event(), threading.Event()
    view, calls = make_view()
    original = view._render

    def slow(share, kind):
        if share == 0.4:
            started.set()
            release.wait(10)
        return original(share, kind)

    view._render = slow
    shown = []
    view.caption.observe(lambda change: shown.append(view.caption_text), names="value")
    try:
        view.controls["share"].value = 0.3  # drawn; then 0.4 is drawn ahead, slowly
        assert started.wait(10)
        view.controls["share"].value = 0.1  # cached: on screen now, not after the drawing ahead
        assert view.caption_text == "a: minority share 10%"
    finally:
        release.set()
    settle()
    started.clear()
    release.clear()
    view._cache.pop(view._key({"share": 0.4, "kind": "a"}))
    del shown[:]
    try:
        view.controls["share"].value = 0.4  # not cached: the thread draws it for the screen, slowly
        assert started.wait(10)
        view.controls["share"].value = 0.1  # the student moved on, to a cached value
    finally:
        release.set()
    settle()
    assert "a: minority share 40%" not in shown, "a drawing that finished late took the screen"
    assert view.caption_text == "a: minority share 10%"
    assert view._key({"share": 0.4, "kind": "a"}) in view._cache  # kept for later
