"""HTML formatting helpers of the report: escaping, numbers, n (%), rates with CI, tables.

>>> fmt_rate({"n": 3, "N": 8, "pct": 37.5, "ci_low": 8.52, "ci_high": 75.51})
'3/8 (37.5%) [8.5, 75.5]'
>>> fmt_ci(100.0, 100.0, 100.0)
'100.0% (95% CI not estimable)'
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from .common import DAYS_PER_MONTH


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def isnan(x) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x, digits=1, na="NE") -> str:
    return na if isnan(x) else f"{float(x):.{digits}f}"


def fmt_npct(n, N, pct) -> str:
    return f"{int(n)} ({fmt_num(pct, 1, '-')}%)" if N else f"{int(n)}"


def fmt_rate(r) -> str:
    """n/N (%) [95% CI]; an interval that collapses to one point (0/0, all or none at a tiny N) says so."""
    if not r["N"]:
        return "0/0"
    return f"{int(r['n'])}/{int(r['N'])} ({fmt_num(r['pct'])}%) [{fmt_num(r['ci_low'])}, {fmt_num(r['ci_high'])}]"


def fmt_ci(est, low, high, scale: float = 1.0) -> str:
    """A percentage with its 95% CI, or "not estimable" when the interval is degenerate (low == high)."""
    if isnan(est):
        return "NE"
    e = f"{est * scale:.1f}%"
    if isnan(low) or isnan(high) or abs(float(high) - float(low)) < 1e-12:
        return f"{e} (95% CI not estimable)"
    return f"{e} ({low * scale:.1f}%, {high * scale:.1f}%)"


def months(days) -> str:
    return "NE" if isnan(days) else f"{float(days) / DAYS_PER_MONTH:.1f}"


def fmt_median(res_row) -> str:
    """Median (95% CI) in months; NE parts when not reached."""
    return f"{months(res_row.median)} ({months(res_row.median_low)}, {months(res_row.median_high)})"


def na(note: str) -> str:
    return f'<p class="na">{esc(note)}</p>'


def note(text: str) -> str:
    return f'<p class="note">{text}</p>'


def table(
    header: list[str],
    rows: list[list[str]],
    row_classes: list[str] | None = None,
    num_from: int = 1,
    cell_classes: dict | None = None,
    cls: str = "",
    thead: str | None = None,
) -> str:
    """Cells are already-escaped HTML strings; ``thead`` replaces the one-row header built from ``header``."""
    head = thead or "<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"
    out = [f"<table{f' class={chr(34)}{cls}{chr(34)}' if cls else ''}><thead>", head, "</thead><tbody>"]
    for i, row in enumerate(rows):
        rc = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = []
        for j, c in enumerate(row):
            cc = "num" if j >= num_from else ((cell_classes or {}).get((i, j), ""))
            cells.append(f'<td class="{cc}">{c}</td>' if cc else f"<td>{c}</td>")
        out.append(f"<tr{rc}>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def col_header(name: str, n: int | None = None) -> str:
    return f"{esc(name)}<br>(N={n})" if n is not None else esc(name)
