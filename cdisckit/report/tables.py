"""The numbers of the study report, computed from ADaM frames (no HTML, no figures).

:func:`compute_tables` returns plain dicts and long-format DataFrames (one row per cell: ``n``, ``N``, ``pct``, CI)
so tests and other writers can read the figures without parsing HTML. A section whose datasets or parameters are
missing is ``{"available": False, "note": "... not available"}``. What each part counts is in its module:
:mod:`.subjects` (populations, disposition, demographics, exposure, deaths), :mod:`.safety`, :mod:`.efficacy`.

>>> sorted(compute_tables({}))
['deaths', 'demographics', 'disposition', 'efficacy', 'exposure', 'meta', 'os', 'populations', 'safety']
"""

from __future__ import annotations

import pandas as pd

from . import subjects as S
from .common import (
    DAYS_PER_MONTH,
    OS_LANDMARKS,
    OVERALL,
    TIMEPOINTS,
    TOTAL,
    VERSIONS,
    _get,
    _na,
    cohort_order,
    labels_of,
    without_attrs,
)
from .efficacy import (
    criteria_in,
    efficacy,
    overall_survival,
    spider_data,
    swimmer_data,
    timepoints_in,
    waterfall_data,
)
from .safety import safety
from .stats import CI_METHOD

__all__ = [
    "compute_tables",
    "waterfall_data",
    "spider_data",
    "swimmer_data",
    "criteria_in",
    "timepoints_in",
    "cohort_order",
    "TIMEPOINTS",
    "OS_LANDMARKS",
    "DAYS_PER_MONTH",
    "TOTAL",
    "OVERALL",
]


def compute_tables(adam: dict[str, pd.DataFrame]) -> dict:
    """All numbers of the report. Keys: meta, populations, disposition, demographics, exposure, deaths, safety,
    efficacy, os.

    ``efficacy["RECIST 1.1"]`` (one entry per criterion in ADRS) holds ``rates`` (ORR/DCR by timepoint), ``bor``
    (confirmed BOR counts, ORR/DCR by cohort and by dose level), ``PFS`` and ``DOR`` (KM summaries, medians in days,
    time origin, and the :class:`~cdisckit.report.stats.KMResult` per cohort); ``os`` adds ``landmarks``.
    """
    ae_labels = labels_of(_get(adam, "ADAE"))
    adam = without_attrs(adam)
    adsl, adae, adrs, adtte, adtr = (_get(adam, n) for n in ("ADSL", "ADAE", "ADRS", "ADTTE", "ADTR"))
    cohorts = cohort_order(adsl, adae, adrs, adtte)
    studyid = None
    for df in (adsl, adae, adrs, adtte, adtr):
        if df is not None and "STUDYID" in df and df["STUDYID"].notna().any():
            studyid = str(df["STUDYID"].dropna().iloc[0])
            break
    has_adsl = adsl is not None and "USUBJID" in adsl
    arms = S.arm_order(adsl, False) if has_adsl else []
    eff = efficacy(adsl, adrs, adtte, cohorts)
    if eff.get("available"):
        os_ = eff["OS"]
    elif adtte is not None and "PARAMCD" in adtte and adtte["PARAMCD"].eq("OS").any():
        os_ = overall_survival(adsl, adtte, cohorts)
    else:
        os_ = _na("ADTTE has no OS parameter")
    return {
        "meta": {
            "studyid": studyid,
            "cohorts": cohorts,
            "ci_method": CI_METHOD,
            "datasets": sorted(k for k, v in (adam or {}).items() if isinstance(v, pd.DataFrame)),
            "versions": dict(VERSIONS),
        },
        "populations": S.populations(adsl) if has_adsl else _na("ADSL not available"),
        "disposition": S.disposition(adsl) if has_adsl else _na("ADSL not available"),
        "demographics": S.demographics(adsl, arms) if has_adsl else _na("ADSL not available"),
        "exposure": S.exposure(adsl, arms) if has_adsl else _na("ADSL not available"),
        "deaths": S.deaths(adsl, arms) if has_adsl else _na("ADSL not available"),
        "safety": safety(adsl, adae, cohorts, ae_labels),
        "efficacy": eff,
        "os": os_,
    }
