"""Run the generated suites through great-expectations itself (``engine="gx"``).

great_expectations is imported inside :func:`run_suites` only, so importing cdisckit (and the CLI's
``--help``) stays fast. The context is ephemeral (no files written), progress bars and usage statistics
are off, and each dataset is a pandas dataframe asset validated in memory with ``COMPLETE`` results so
that every failing row index comes back.

GX 1.24 cannot match pandas 3's ``str`` dtype in its dtype-level type check, so text columns are handed
to GX as ``object`` columns; GX then checks each value (``isinstance(value, str)``), which is what the
native engine does for text columns.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from .native import Outcome
from .suites import Suite


def _for_gx(df: pd.DataFrame) -> pd.DataFrame:
    """RangeIndex (index = row position) and text columns as object."""
    df = df.reset_index(drop=True)
    text = [c for c in df.columns if isinstance(df[c].dtype, pd.StringDtype)]
    if text:
        df = df.astype({c: object for c in text})
    return df


def run_suites(datasets: dict[str, pd.DataFrame], suites: dict[str, Suite]) -> dict[str, dict[str, Outcome]]:
    """Validate every suite with GX; outcomes keyed by dataset, then by the expectation's check key."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas("cdisckit")
    out: dict[str, dict[str, Outcome]] = {}
    for name, suite in suites.items():
        if not suite.expectations:
            out[name] = {}
            continue
        batch = (
            source.add_dataframe_asset(name)
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": _for_gx(datasets[name])})
        )
        gx_suite = ExpectationSuite(
            name=f"cdisckit.{name}",
            expectations=[{"type": e.type, "kwargs": dict(e.kwargs), "meta": dict(e.meta)} for e in suite.expectations],
        )
        result = batch.validate(gx_suite, result_format={"result_format": "COMPLETE"})
        outcomes: dict[str, Outcome] = {}
        for r in result.results:
            cfg = r.expectation_config
            assert cfg is not None  # GX sets it on every result of a suite validation
            outcomes[cfg.meta["check"]] = _outcome(r)
        out[name] = outcomes
    return out


def _outcome(r) -> Outcome:
    """GX validation result -> Outcome (an exception inside GX is re-raised: it is a bug, not a finding)."""
    info = r.exception_info or {}
    if isinstance(info, dict) and info.get("raised_exception"):
        raise RuntimeError(
            f"great_expectations failed on {r.expectation_config.type} "
            f"{r.expectation_config.kwargs}: {info.get('exception_message')}"
        )
    rows = r.result.get("unexpected_index_list") or []
    return Outcome(bool(r.success), np.sort(np.asarray(rows, dtype=np.int64)))
