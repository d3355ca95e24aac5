"""Progress chart as PNG bytes (matplotlib, Agg backend; no Discord types).

Rendering takes tens of milliseconds (the first call also imports matplotlib), so callers run
``render_score_chart`` in a worker thread (``asyncio.to_thread``). pyplot keeps global state and
is not thread-safe: this builds a bare ``Figure`` on an Agg canvas, and one lock serialises the
renders, because matplotlib's text and font caches are shared between figures.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from datetime import timedelta

from bot.core.stats import SessionPoint

# Colour-blind-safe (Okabe-Ito) colours, fixed per track so charts compare across members.
TRACK_COLOURS = {
    "phone-screen": "#E69F00",
    "technical": "#0072B2",
    "system-design": "#009E73",
}
OTHER_COLOUR = "#CC79A7"
SCORE_LABELS = {1: "1 Strong No Hire", 2: "2 No Hire", 3: "3 Hire", 4: "4 Strong Hire"}

MIN_SPAN = timedelta(days=2)

_render_lock = threading.Lock()


def render_score_chart(points: Sequence[SessionPoint]) -> bytes:
    """One dot per finished session (its mean score, 1-4) over time, coloured by track."""
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _render_lock:
        figure = Figure(figsize=(6.4, 3.2), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        tracks = sorted({p.track for p in points})
        for track in tracks:
            mine = [p for p in points if p.track == track]
            axes.plot(
                [p.started_at for p in mine],  # type: ignore[arg-type]  # dates are supported
                [p.mean_score for p in mine],
                marker="o",
                markersize=6,
                linewidth=1,
                alpha=0.9,
                color=TRACK_COLOURS.get(track, OTHER_COLOUR),
                label=track,
            )
        if points:  # a narrow range (one session, one day) gets a day of margin each side
            first = min(p.started_at for p in points)
            last = max(p.started_at for p in points)
            if last - first < MIN_SPAN:
                axes.set_xlim(first - MIN_SPAN / 2, last + MIN_SPAN / 2)  # type: ignore[arg-type]
        axes.set_ylim(0.8, 4.2)
        axes.set_yticks(list(SCORE_LABELS), list(SCORE_LABELS.values()), fontsize=8)
        axes.set_ylabel("session mean score", fontsize=9)
        axes.grid(axis="y", alpha=0.3)
        locator = mdates.AutoDateLocator(maxticks=6)  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        axes.tick_params(axis="x", labelsize=8)
        if tracks:  # above the plot, so it never hides a point
            figure.legend(loc="outside upper center", ncols=len(tracks), fontsize=8, frameon=False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
