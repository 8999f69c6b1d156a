"""Figures of the study report (matplotlib, Agg, no pyplot), returned as HTML fragments.

Each ``*_figure`` function takes the tidy data from :mod:`cdisckit.report.tables` and returns an HTML
fragment: ``<img src="data:image/png;base64,...">`` (default) or an inline ``<svg>``.  Output is byte-stable:
figures are drawn on a fresh ``matplotlib.figure.Figure`` (Agg canvas) under a fixed ``rc_context``
(``svg.hashsalt`` set, DejaVu Sans), and saved with date/software metadata removed.
matplotlib is imported inside the functions so ``import cdisckit.report`` stays light.
"""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

DAYS_PER_MONTH = 30.4375
BOR_COLOURS = {
    "CR": "#1b7837",
    "PR": "#5aae61",
    "SD": "#fdb863",
    "NON-CR/NON-PD": "#92c5de",
    "PD": "#d73027",
    "NE": "#969696",
    "Missing": "#d9d9d9",
}
COHORT_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#d62728",
]
RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "cdisckit-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "path.simplify": False,
}


def cohort_colours(cohorts) -> dict[str, str]:
    return {c: COHORT_COLOURS[i % len(COHORT_COLOURS)] for i, c in enumerate(cohorts)}


def short_ids(ids: pd.Series) -> list[str]:
    """Subject IDs without the prefix they all share (up to its last '-'), for axis labels."""
    ids = [str(x) for x in ids]
    if len(ids) < 2:
        return ids
    import os

    prefix = os.path.commonprefix(ids)
    cut = prefix.rfind("-") + 1
    return [x[cut:] or x for x in ids]


def _new_figure(width=7.5, height=4.2):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot(1, 1, 1)


#: zlib level of the embedded PNGs: 1 encodes in about half the time of the default 6, for images about 4% larger
#: (flat-coloured plots compress well at any level); the pixels are the same at every level.
PNG_COMPRESS_LEVEL = 1


def _embed(fig, alt: str, fmt: str = "png", tight: bool = True) -> str:
    """Save ``fig`` and return an HTML fragment with the image embedded."""
    buf = io.BytesIO()
    if tight:
        fig.tight_layout()
    # tight_layout leaves a placeholder layout engine, for which savefig would lay out (draw) the whole figure once
    # more before drawing it; the layout is done, so without an engine savefig draws it once
    fig.set_layout_engine(None)
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        text = buf.getvalue().decode("utf-8")
        text = text[text.index("<svg") :]  # drop XML declaration and DOCTYPE for inline use
        text = text.replace("<svg ", f'<svg role="img" aria-label="{html.escape(alt)}" ', 1)
        return f'<figure class="fig">{text}<figcaption>{html.escape(alt)}</figcaption></figure>'
    fig.savefig(buf, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<figure class="fig"><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(alt)}</figcaption></figure>"
    )


def _render(draw, alt: str, fmt: str, *args, tight: bool = True, **kw) -> str:
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = draw(*args, **kw)
        return _embed(fig, alt, fmt, tight=tight)


#: Up to this many subjects a figure shows each subject (bars, lines, labelled rows); above it the figure
#: aggregates (waterfall/spider faceted by cohort, drawn as one collection per panel) or samples (swimmer), and says so.
MAX_SUBJECTS = 60


def _rects(x0, widths, y0, heights) -> Any:  # an ndarray: matplotlib's stubs say Sequence, its code takes arrays
    """(n, 4, 2) rectangle vertices for one PolyCollection (one artist for any number of bars). One 3-d array, not a
    list of (4, 2) arrays: PolyCollection then closes all the polygons at once (the same paths, made without one
    Path constructor call each).

    >>> _rects([0, 2], [1, 1], [0, 0], [3, -1])[1].tolist()
    [[2.0, 0.0], [3.0, 0.0], [3.0, -1.0], [2.0, -1.0]]
    """
    x0, w, y0, h = (np.asarray(v, dtype=float) for v in (x0, widths, y0, heights))
    return np.stack([np.c_[x0, y0], np.c_[x0 + w, y0], np.c_[x0 + w, y0 + h], np.c_[x0, y0 + h]], axis=1)


def _rgba(colours: list[str]) -> np.ndarray:
    """(n, 4) RGBA of a list of colour names, each distinct name converted once: what a collection makes of the
    list itself (``to_rgba_array``), without one conversion per subject (once more when the artist has an alpha).

    >>> _rgba(["#ff0000", "#0000ff", "#ff0000"]).tolist()
    [[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 0.0, 1.0]]
    """
    from matplotlib.colors import to_rgba_array

    names, which = np.unique(np.asarray(colours, dtype=object).astype(str), return_inverse=True)
    return to_rgba_array(list(names))[which.reshape(-1)] if len(colours) else np.zeros((0, 4))


def _bor_handles(present):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    order = [b for b in BOR_COLOURS if b in present] + sorted(set(present) - set(BOR_COLOURS))
    handles = [Patch(facecolor=BOR_COLOURS.get(b, "#4d4d4d"), edgecolor="#333333", label=b) for b in order]
    handles += [
        Line2D([], [], color="#d73027", linestyle="--", label="+20% (PD)"),
        Line2D([], [], color="#1b7837", linestyle="--", label="-30% (PR)"),
    ]
    return handles


# ------------------------------------------------------------------------------------------------ waterfall
def _waterfall_panel(ax, df: pd.DataFrame, label_subjects: bool) -> None:
    from matplotlib.collections import PolyCollection

    n = len(df)
    y = df["best_pchg"].to_numpy(dtype=float)
    x = np.arange(n, dtype=float) if label_subjects else np.arange(n, dtype=float) / max(n, 1) * 100
    w = 0.8 if label_subjects else 100.0 / max(n, 1)
    colours = _rgba([BOR_COLOURS.get(b, "#4d4d4d") for b in df["BOR"]])
    pc = PolyCollection(
        _rects(x - (w / 2 if label_subjects else 0), np.full(n, w), np.zeros(n), y),
        facecolors=colours,
        edgecolors="#333333" if label_subjects else "none",
        linewidths=0.4,
    )
    ax.add_collection(pc)
    for level, colour in ((20, "#d73027"), (-30, "#1b7837")):
        ax.axhline(level, color=colour, linestyle="--", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.6)
    lo = min(-100.0, float(np.nanmin(y)) - 5) if n else -100
    hi = max(40.0, float(np.nanmax(y)) + 10) if n else 40
    ax.set_ylim(lo, hi)
    if label_subjects:
        ax.set_xlim(-0.8, n - 0.2)
        ax.set_xticks(x)
        ax.set_xticklabels(short_ids(df["USUBJID"]), rotation=90, fontsize=6 if n > 20 else 7)
    else:
        ax.set_xlim(0, 100)


def _draw_waterfall(df: pd.DataFrame, title: str, cohorts: list[str]):
    n = len(df)
    if n <= MAX_SUBJECTS:
        fig, ax = _new_figure()
        _waterfall_panel(ax, df, True)
        ax.set_xlabel("Subject (ordered by best % change)")
        ax.set_ylabel("Best % change from baseline\nin sum of diameters")
        ax.set_title(title)
        ax.legend(
            handles=_bor_handles(set(df["BOR"])),
            title="Confirmed best\noverall response",
            loc="center left",
            bbox_to_anchor=(1.0, 0.5),
            fontsize=7,
            title_fontsize=7,
        )
        fig.tight_layout()
        return fig
    from matplotlib.figure import Figure

    present = [c for c in cohorts if (df["cohort"] == c).any()] + sorted(set(df["cohort"]) - set(cohorts))
    ncol = 2 if len(present) > 1 else 1
    nrow = -(-len(present) // ncol)
    fig = Figure(figsize=(7.5, 1.2 + 2.0 * nrow))
    axes: Any = fig.subplots(nrow, ncol, squeeze=False, sharey=True)
    for k, c in enumerate(present):
        ax = axes[k // ncol][k % ncol]
        sub = df[df["cohort"] == c].sort_values(["best_pchg", "USUBJID"], ascending=[False, True])
        _waterfall_panel(ax, sub, False)
        ax.set_title(f"{c} (n={len(sub)})", fontsize=8)
        ax.set_xlabel("% of the cohort's subjects, ordered by best % change", fontsize=7)
    spare = [axes[k // ncol][k % ncol] for k in range(len(present), nrow * ncol)]
    for a in spare:
        a.set_axis_off()
    fig.supylabel("Best % change from baseline in sum of diameters", fontsize=8)
    fig.suptitle(
        f"{title}\n{n} subjects: one panel per cohort, subjects as a sorted area (too many to show one by one)",
        fontsize=9,
    )
    handles = _bor_handles(set(df["BOR"]))
    if spare:
        spare[0].legend(handles=handles, title="Confirmed best overall response", loc="center", fontsize=7)
        fig.tight_layout()
    else:
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=7)
    return fig


def waterfall_figure(df: pd.DataFrame, title: str, fmt: str = "png", cohorts: list[str] | None = None) -> str:
    return _render(_draw_waterfall, title, fmt, df, title, cohorts or sorted(set(df["cohort"])), tight=False)


# ------------------------------------------------------------------------------------------------ spider
def _draw_spider(df: pd.DataFrame, title: str, cohorts: list[str]):
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    fig, ax = _new_figure()
    col = cohort_colours(cohorts)
    df = df.sort_values(["USUBJID", "ADY"])
    n_subj = df["USUBJID"].nunique()
    many = n_subj > MAX_SUBJECTS
    # one path per subject, points in study-day order: split the (subject, cohort)-sorted rows at each new subject
    d = df[df["USUBJID"].notna() & df["cohort"].notna()].sort_values(["USUBJID", "cohort"], kind="stable")
    subj, coh = d["USUBJID"].to_numpy(object), d["cohort"].to_numpy(object)
    starts: Any = np.flatnonzero(np.r_[True, (subj[1:] != subj[:-1]) | (coh[1:] != coh[:-1])]) if len(d) else []
    segs = np.split(np.c_[d["ADY"].to_numpy(float), d["PCHG"].to_numpy(float)], starts[1:]) if len(d) else []
    colours: Any = _rgba([col.get(c, "#4d4d4d") for c in coh[starts]]) if len(d) else []
    ax.add_collection(
        LineCollection(segs, colors=colours, linewidths=0.5 if many else 1.0, alpha=0.15 if many else 0.85)
    )
    if not many:
        ax.scatter(
            df["ADY"].to_numpy(float),
            df["PCHG"].to_numpy(float),
            s=6,
            c=[col.get(c, "#4d4d4d") for c in df["cohort"]],
            zorder=3,
        )
    else:  # the median per cohort and analysis week on top of the faint subject lines
        wk = (df["ADY"] // 42).astype(int)
        med = df.assign(_w=wk).groupby(["cohort", "_w"]).agg(x=("ADY", "median"), y=("PCHG", "median")).reset_index()
        for c, g in med.groupby("cohort"):
            ax.plot(g["x"], g["y"], color=col.get(c, "#4d4d4d"), linewidth=2.2)
    for level, colour in ((20, "#d73027"), (-30, "#1b7837")):
        ax.axhline(level, color=colour, linestyle="--", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.autoscale_view()
    ax.set_xlabel("Study day (ADY; day 1 = first dose)")
    ax.set_ylabel("% change from baseline\nin sum of diameters")
    ax.set_title(title if not many else f"{title}\n{n_subj} subjects: faint line per subject, bold median per cohort")
    present = [c for c in cohorts if c in set(df["cohort"])]
    ax.legend(
        handles=[Line2D([], [], color=col[c], marker="o", markersize=3, label=c) for c in present],
        title="Cohort",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=7,
        title_fontsize=7,
    )
    return fig


def spider_figure(df: pd.DataFrame, title: str, cohorts: list[str], fmt: str = "png") -> str:
    return _render(_draw_spider, title, fmt, df, title, cohorts)


# ------------------------------------------------------------------------------------------------ swimmer
def swimmer_sample(df: pd.DataFrame, k: int = MAX_SUBJECTS) -> pd.DataFrame:
    """At most ``k`` subjects: all when there are few, else evenly spaced in the (cohort, follow-up) order."""
    if len(df) <= k:
        return df
    pick = np.unique(np.linspace(0, len(df) - 1, k).round().astype(int))
    return df.iloc[pick]


def _draw_swimmer(df: pd.DataFrame, title: str, cohorts: list[str], origin: str):
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    total = len(df)
    df = swimmer_sample(df).reset_index(drop=True)
    n = len(df)
    fig, ax = _new_figure(height=max(3.0, min(0.2 * n + 1.8, 14.0)))
    col = cohort_colours(cohorts)
    y: np.ndarray = np.arange(n)[::-1].astype(float)
    months = np.nan_to_num(df["end_day"].to_numpy(float) / DAYS_PER_MONTH)
    ax.add_collection(
        PolyCollection(
            _rects(np.zeros(n), months, y - 0.3, np.full(n, 0.6)),
            facecolors=[col.get(c, "#4d4d4d") for c in df["cohort"]],
            alpha=0.8,
        )
    )

    def pts(mask, col_name):
        m = (mask & df[col_name].notna()).to_numpy()
        return df.loc[m, col_name].to_numpy(float) / DAYS_PER_MONTH, y[m]

    everyone = pd.Series(True, index=df.index)
    for name, marker, size, colour in (
        ("resp_day", "^", 30, "#5aae61"),
        ("cr_day", "*", 60, "#1b7837"),
        ("pd_day", "s", 22, "#d73027"),
    ):
        xs, ys = pts(everyone, name)
        ax.scatter(xs, ys, marker=marker, s=size, color=colour, edgecolor="black", linewidths=0.4, zorder=3)
    dead = df["dead"].astype(bool)
    xs, ys = pts(dead, "end_day")
    ax.scatter(xs, ys, marker="X", s=40, color="black", zorder=3)
    ong = df["ongoing"].astype(bool) & ~dead
    xs, ys = pts(ong, "end_day")
    ax.scatter(xs + 0.15, ys, marker=">", s=30, color="#333333", zorder=3)
    ax.set_yticks(y)
    ax.set_yticklabels(short_ids(df["USUBJID"]), fontsize=6 if n > 25 else 7)
    ax.set_ylim(-1, n)
    ax.set_xlim(0, max(1.0, float(np.nanmax(months)) * 1.05 + 0.5) if n else 1.0)
    ax.set_xlabel(f"Months from {origin}")
    ax.set_ylabel("Subject")
    ax.set_title(
        title if total <= n else f"{title}\n{n} of {total} subjects shown (evenly spaced by cohort and follow-up)"
    )
    present = [c for c in cohorts if c in set(df["cohort"])]
    handles = [Patch(color=col[c], alpha=0.8, label=c) for c in present] + [
        Line2D([], [], marker="^", linestyle="", color="#5aae61", markeredgecolor="black", label="Response (CR/PR)"),
        Line2D(
            [], [], marker="*", linestyle="", color="#1b7837", markeredgecolor="black", markersize=9, label="First CR"
        ),
        Line2D([], [], marker="s", linestyle="", color="#d73027", markeredgecolor="black", label="Progression"),
        Line2D([], [], marker="X", linestyle="", color="black", label="Death"),
        Line2D([], [], marker=">", linestyle="", color="#333333", label="Ongoing in study"),
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
    return fig


def swimmer_figure(
    df: pd.DataFrame, title: str, cohorts: list[str], fmt: str = "png", origin: str = "first dose"
) -> str:
    return _render(_draw_swimmer, title, fmt, df, title, cohorts, origin)


# ------------------------------------------------------------------------------------------------ Kaplan-Meier
def at_risk(km, days) -> list[int]:
    """Number at risk at each time in ``days`` (subjects whose time is >= that day)."""
    return [km.at_risk(d) for d in days]


def _draw_km(kms: dict, title: str, xlabel: str, cohorts: list[str], landmarks=()):
    import textwrap

    from matplotlib.figure import Figure

    shown = {k: v for k, v in kms.items() if v.n}
    left, width = 0.24, 0.46  # room on the left for the at-risk labels, on the right for the legend
    fig = Figure(figsize=(8.5, 4.4 + 0.17 * len(shown)))
    ax = fig.add_axes((left, 0.16 + 0.045 * len(shown), width, 0.72 - 0.045 * len(shown)))
    col = cohort_colours(cohorts)
    tmax = max((float(k.max_time) for k in shown.values()), default=1.0) / DAYS_PER_MONTH
    for name, km in shown.items():
        colour = col.get(name, "black")
        style = "-" if name in col else "--"
        x = np.concatenate([[0.0], km.times]) / DAYS_PER_MONTH
        s = np.concatenate([[1.0], km.surv])
        med = "NE" if np.isnan(km.median) else f"{km.median / DAYS_PER_MONTH:.1f}"
        lo = "NE" if np.isnan(km.median_low) else f"{km.median_low / DAYS_PER_MONTH:.1f}"
        hi = "NE" if np.isnan(km.median_high) else f"{km.median_high / DAYS_PER_MONTH:.1f}"
        ax.step(
            x,
            s,
            where="post",
            color=colour,
            linestyle=style,
            linewidth=1.4,
            label=textwrap.fill(name, 34) + f"\nn={km.n}, events={km.events}; median {med} mo (95% CI {lo}, {hi})",
        )
        if km.censor_times.size:
            idx = np.searchsorted(km.times, km.censor_times, side="right") - 1
            ax.plot(
                km.censor_times / DAYS_PER_MONTH,
                np.where(idx >= 0, km.surv[np.maximum(idx, 0)], 1.0),
                linestyle="",
                marker="|",
                markersize=7,
                color=colour,
            )
    ax.axhline(0.5, color="#bbbbbb", linewidth=0.6, linestyle=":")
    for day, label in landmarks:
        ax.axvline(day / DAYS_PER_MONTH, color="#999999", linestyle=":", linewidth=0.8)
        ax.text(day / DAYS_PER_MONTH, 1.02, label, fontsize=7, ha="center", va="bottom", color="#555555")
    ax.set_ylim(-0.02, 1.08)
    ax.set_xlim(0, tmax * 1.02)
    ax.set_ylabel("Probability (Kaplan-Meier)")
    ax.set_title(title, pad=14 if landmarks else 6)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=6, title="| censored", title_fontsize=7)
    # number at risk below the axis, one row per curve
    ticks = ax.get_xticks()
    ticks = ticks[(ticks >= 0) & (ticks <= tmax * 1.02)]
    ax.set_xticks(ticks)
    ax.set_xlabel(xlabel)
    fig.text(0.01, 0.13 + 0.045 * len(shown) - 0.05, "Number at risk", fontsize=7, weight="bold")
    for i, (name, km) in enumerate(shown.items()):
        yfig = 0.13 + 0.045 * len(shown) - 0.085 - 0.045 * i
        fig.text(0.01, yfig, name if len(name) <= 38 else name[:36] + "...", fontsize=6, color=col.get(name, "black"))
        for t, nrisk in zip(ticks, at_risk(km, ticks * DAYS_PER_MONTH)):
            xfig = left + width * (t / (tmax * 1.02))
            fig.text(xfig, yfig, str(nrisk), fontsize=6.5, ha="center")
    return fig


def km_figure(kms: dict, title: str, xlabel: str, cohorts: list[str], landmarks=(), fmt: str = "png") -> str:
    return _render(_draw_km, title, fmt, kms, title, xlabel, cohorts, landmarks, tight=False)


# ------------------------------------------------------------------------------------------------ helpers for tests
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError if ``data`` is not a PNG."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
