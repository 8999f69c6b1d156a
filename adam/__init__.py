"""SDTM -> ADaM: ADSL, ADAE, ADRS, ADTTE, ADTR (cdisckit.adam).

Rules are parameters (:func:`load_params`; documented in docs/adam.md); each derivation is a small function
named for what it derives (``derive_best_overall_response``, ``derive_param_tte``, ...).

>>> import pandas as pd
>>> dm = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "SUBJID": ["1"], "ARM": ["A"], "ACTARM": ["A"]})
>>> out = derive_adam({"DM": dm}, load_params(), warn=lambda m: None)
>>> sorted(out), len(out["ADSL"])
(['ADAE', 'ADRS', 'ADSL', 'ADTR', 'ADTTE'], 1)
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from cdisckit.errors import InputError

from .adae import derive_adae, derive_var_extreme_flag, derive_var_trtemfl, derive_vars_aesi
from .adrs import (
    derive_adrs,
    derive_best_overall_response,
    derive_confirmation,
    derive_confirmed_best_overall_response,
    derive_param_ovr,
    derive_param_timepoint,
)
from .adsl import derive_adsl
from .adtr import derive_adtr, derive_var_base
from .adtte import TTESource, apply_censoring_rules, derive_adtte, derive_param_tte, new_therapy_dates
from .params import DEFAULTS, load_params, validate_params
from .util import derive_vars_dt, derive_vars_dy, order_columns, warner

__all__ = [
    "load_params",
    "derive_adam",
    "DEFAULTS",
    "validate_params",
    "derive_adsl",
    "derive_adae",
    "derive_adrs",
    "derive_adtte",
    "derive_adtr",
    "derive_vars_dt",
    "derive_vars_dy",
    "derive_var_trtemfl",
    "derive_vars_aesi",
    "derive_var_extreme_flag",
    "derive_param_ovr",
    "derive_best_overall_response",
    "derive_confirmation",
    "derive_confirmed_best_overall_response",
    "derive_param_timepoint",
    "derive_param_tte",
    "TTESource",
    "apply_censoring_rules",
    "derive_var_base",
]


def _with_aseq(dataset: pd.DataFrame) -> pd.DataFrame:
    out = dataset.copy()
    if "ASEQ" in out.columns and not out.empty:
        out["ASEQ"] = out.groupby("USUBJID").cumcount().astype(float) + 1
    return out


_NO_SUBJECTS = ("Trial Design", "Relationship")


def derive_adam(
    sdtm: dict[str, pd.DataFrame], params: dict, warn: Callable[[str], None] | None = None
) -> dict[str, pd.DataFrame]:
    """ADSL, ADAE, ADRS, ADTTE, ADTR from SDTM datasets keyed by upper-case name (DM required).

    Columns follow specs/adam/<NAME>.yaml, rows are sorted by the dataset keys. Missing optional inputs
    (EX, DS, AE, SUPPAE, CM, TU, TR, RS, death data) give a warning through ``warn`` and empty or partial results.
    """
    warn = warner(warn)
    sdtm = {k.upper(): v for k, v in sdtm.items() if v is not None}
    if "DM" not in sdtm or sdtm["DM"].empty:
        raise InputError("ADaM needs DM (one record per subject); it is missing or empty", file="DM")
    missing = [c for c in ("STUDYID", "USUBJID") if c not in sdtm["DM"]]
    if missing:
        raise InputError(f"DM lacks {', '.join(missing)}", file="DM", column=missing[0])
    from cdisckit.sdtm_model import domain_class

    for name, df in sdtm.items():  # trial design and relationship datasets have no subjects, by design
        if name != "DM" and not df.empty and "USUBJID" not in df and domain_class(name) not in _NO_SUBJECTS:
            warn(f"{name} has no USUBJID; ignored")
    sdtm = {k: v for k, v in sdtm.items() if k == "DM" or v.empty or "USUBJID" in v}
    adsl = derive_adsl(sdtm, params, warn)
    adsl = adsl.drop_duplicates("USUBJID")
    new_therapy = (
        new_therapy_dates(sdtm, params.get("new_therapy"), warn)
        if params.get("new_therapy")
        else pd.Series(dtype="datetime64[ns]")
    )
    adae = derive_adae(sdtm, adsl, params, warn)
    adrs, _ = derive_adrs(sdtm, adsl, params, new_therapy, warn)
    out = {"ADSL": order_columns(adsl, "ADSL")}
    out["ADAE"] = order_columns(adae, "ADAE")
    out["ADRS"] = _with_aseq(order_columns(adrs, "ADRS"))
    adtte = derive_adtte(
        out["ADSL"].merge(
            adsl[["USUBJID"] + [c for c in adsl.columns if c not in out["ADSL"]]], on="USUBJID", how="left"
        ),
        out["ADRS"],
        params,
        new_therapy,
        warn,
    )
    out["ADTTE"] = _with_aseq(order_columns(adtte, "ADTTE"))
    out["ADTR"] = _with_aseq(order_columns(derive_adtr(sdtm, adsl, params, warn), "ADTR"))
    return out
