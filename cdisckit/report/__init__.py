"""Study report (``report.html``) from ADaM datasets.

``build_report(adam, out_path, *, run_summary=None, title=None)`` writes one self-contained HTML file;
``compute_tables(adam)`` returns the numbers behind it.  Heavy imports (matplotlib, scipy) happen on call.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_report", "compute_tables"]


def build_report(
    adam, out_path, *, run_summary: dict | None = None, title: str | None = None, figure_format: str = "png"
) -> Path:
    """Write the study report; see :func:`cdisckit.report.html.build_report`."""
    from .html import build_report as _build

    return _build(adam, out_path, run_summary=run_summary, title=title, figure_format=figure_format)


def compute_tables(adam) -> dict:
    """Numbers of the report; see :func:`cdisckit.report.tables.compute_tables`."""
    from .tables import compute_tables as _compute

    return _compute(adam)
