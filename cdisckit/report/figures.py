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


def _embed(fig, alt: str, fmt: str = "png") -> str:
    """Save ``fig`` and return an HTML fragment with the image embedded."""
    buf = io.BytesIO()
    fig.tight_layout()
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        text = buf.getvalue().decode("utf-8")
        text = text[text.index("<svg") :]  # drop XML declaration and DOCTYPE for inline use
        text = text.replace("<svg ", f'<svg role="img" aria-label="{html.escape(alt)}" ', 1)
        return f'<figure class="fig">{text}<figcaption>{html.escape(alt)}</figcaption></figure>'
    fig.savefig(buf, format="png", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'<figure class="fig"><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(alt)}</figcaption></figure>"
    )


def _render(draw, alt: str, fmt: str, *args, **kw) -> str:
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = draw(*args, **kw)
        return _embed(fig, alt, fmt)


# ------------------------------------------------------------------------------------------------ waterfall
def _draw_waterfall(df: pd.DataFrame, title: str):
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, ax = _new_figure()
    x = np.arange(len(df))
    colours = [BOR_COLOURS.get(b, "#4d4d4d") for b in df["BOR"]]
    ax.bar(x, df["best_pchg"].to_numpy(dtype=float), color=colours, edgecolor="#333333", linewidth=0.4)
    ax.axhline(20, color="#d73027", linestyle="--", linewidth=0.8)
    ax.axhline(-30, color="#1b7837", linestyle="--", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(x)
    ax.set_xticklabels(short_ids(df["USUBJID"]), rotation=90, fontsize=6 if len(df) > 20 else 7)
    ax.set_xlabel("Subject (ordered by best % change)")
    ax.set_ylabel("Best % change from baseline\nin sum of diameters")
    ax.set_title(title)
    present = [b for b in BOR_COLOURS if b in set(df["BOR"])] + sorted(set(df["BOR"]) - set(BOR_COLOURS))
    handles: list[Artist] = [
        Patch(facecolor=BOR_COLOURS.get(b, "#4d4d4d"), edgecolor="#333333", label=b) for b in present
    ]
    handles += [
        Line2D([], [], color="#d73027", linestyle="--", label="+20% (PD)"),
        Line2D([], [], color="#1b7837", linestyle="--", label="-30% (PR)"),
    ]
    ax.legend(
        handles=handles,
        title="Best overall\nresponse",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=7,
        title_fontsize=7,
    )
    lo = min(-100.0, float(df["best_pchg"].min()) - 5) if len(df) else -100
    hi = max(40.0, float(df["best_pchg"].max()) + 10) if len(df) else 40
    ax.set_ylim(lo, hi)
    return fig


def waterfall_figure(df: pd.DataFrame, title: str, fmt: str = "png") -> str:
    return _render(_draw_waterfall, title, fmt, df, title)


# ------------------------------------------------------------------------------------------------ spider
def _draw_spider(df: pd.DataFrame, title: str, cohorts: list[str]):
    from matplotlib.lines import Line2D

    fig, ax = _new_figure()
    col = cohort_colours(cohorts)
    for (_subj, cohort), g in df.groupby(["USUBJID", "cohort"], sort=True):
        ax.plot(
            g["ADY"].to_numpy(float),
            g["PCHG"].to_numpy(float),
            marker="o",
            markersize=3,
            linewidth=1,
            color=col.get(cohort, "#4d4d4d"),
            alpha=0.85,
        )
    ax.axhline(20, color="#d73027", linestyle="--", linewidth=0.8)
    ax.axhline(-30, color="#1b7837", linestyle="--", linewidth=0.8)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xlabel("Study day (ADY; day 1 = infusion)")
    ax.set_ylabel("% change from baseline\nin sum of diameters")
    ax.set_title(title)
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
def _draw_swimmer(df: pd.DataFrame, title: str, cohorts: list[str]):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n = len(df)
    fig, ax = _new_figure(height=max(3.0, min(0.22 * n + 1.5, 14.0)))
    col = cohort_colours(cohorts)
    y = np.arange(n)[::-1]
    months = df["end_day"].to_numpy(float) / DAYS_PER_MONTH
    ax.barh(y, np.nan_to_num(months), color=[col.get(c, "#4d4d4d") for c in df["cohort"]], height=0.6, alpha=0.8)

    def pts(mask, col_name):
        m = mask & df[col_name].notna()
        return df.loc[m, col_name].to_numpy(float) / DAYS_PER_MONTH, y[m.to_numpy()]

    pr = df["resp"].eq("PR")
    xs, ys = pts(pr, "resp_day")
    ax.scatter(xs, ys, marker="^", s=28, color="#5aae61", edgecolor="black", linewidths=0.4, zorder=3)
    xs, ys = pts(pd.Series(True, index=df.index), "cr_day")
    ax.scatter(xs, ys, marker="*", s=60, color="#1b7837", edgecolor="black", linewidths=0.4, zorder=3)
    xs, ys = pts(pd.Series(True, index=df.index), "pd_day")
    ax.scatter(xs, ys, marker="s", s=22, color="#d73027", edgecolor="black", linewidths=0.4, zorder=3)
    dead = df["dead"].astype(bool)
    xs, ys = pts(dead, "end_day")
    ax.scatter(xs, ys, marker="X", s=40, color="black", zorder=3)
    ong = df["ongoing"].astype(bool) & ~dead
    xs, ys = pts(ong, "end_day")
    ax.scatter(xs + 0.15, ys, marker=">", s=30, color="#333333", zorder=3)
    ax.set_yticks(y)
    ax.set_yticklabels(short_ids(df["USUBJID"]), fontsize=6 if n > 25 else 7)
    ax.set_xlabel("Months from treatment start (TRTSDT)")
    ax.set_ylabel("Subject")
    ax.set_title(title)
    ax.set_xlim(left=0)
    present = [c for c in cohorts if c in set(df["cohort"])]
    handles = [Patch(color=col[c], alpha=0.8, label=c) for c in present] + [
        Line2D([], [], marker="^", linestyle="", color="#5aae61", markeredgecolor="black", label="First PR"),
        Line2D(
            [], [], marker="*", linestyle="", color="#1b7837", markeredgecolor="black", markersize=9, label="First CR"
        ),
        Line2D([], [], marker="s", linestyle="", color="#d73027", markeredgecolor="black", label="First PD"),
        Line2D([], [], marker="X", linestyle="", color="black", label="Death"),
        Line2D([], [], marker=">", linestyle="", color="#333333", label="Ongoing"),
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
    return fig


def swimmer_figure(df: pd.DataFrame, title: str, cohorts: list[str], fmt: str = "png") -> str:
    return _render(_draw_swimmer, title, fmt, df, title, cohorts)


# ------------------------------------------------------------------------------------------------ Kaplan-Meier
def _draw_km(kms: dict, title: str, xlabel: str, cohorts: list[str], landmarks=()):
    fig, ax = _new_figure()
    col = cohort_colours(cohorts)
    for name, km in kms.items():
        if km.n == 0:
            continue
        colour = col.get(name, "black")
        style = "-" if name in col else "--"
        x = np.concatenate([[0.0], km.times]) / DAYS_PER_MONTH
        s = np.concatenate([[1.0], km.surv])
        ax.step(
            x,
            s,
            where="post",
            color=colour,
            linestyle=style,
            linewidth=1.4,
            label=f"{name} (n={km.n}, events={km.events})",
        )
        if km.censor_times.size:
            idx = np.searchsorted(km.times, km.censor_times, side="right") - 1
            ax.plot(
                km.censor_times / DAYS_PER_MONTH, km.surv[idx], linestyle="", marker="+", markersize=7, color=colour
            )
    for day, label in landmarks:
        ax.axvline(day / DAYS_PER_MONTH, color="#999999", linestyle=":", linewidth=0.8)
        ax.text(day / DAYS_PER_MONTH, 1.02, label, fontsize=7, ha="center", va="bottom", color="#555555")
    ax.set_ylim(-0.02, 1.08)
    ax.set_xlim(left=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Probability (Kaplan-Meier)")
    ax.set_title(title, pad=14 if landmarks else 6)
    ax.legend(loc="lower left", fontsize=7, title="+ censored", title_fontsize=7)
    return fig


def km_figure(kms: dict, title: str, xlabel: str, cohorts: list[str], landmarks=(), fmt: str = "png") -> str:
    return _render(_draw_km, title, fmt, kms, title, xlabel, cohorts, landmarks)


# ------------------------------------------------------------------------------------------------ helpers for tests
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError if ``data`` is not a PNG."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
