"""define.xml method text the ADaM stage knows and the dataset declarations cannot: the time origin and the
event/censoring sources of each ADTTE parameter (value-level ``AVAL.<PARAMCD>``), as ``origins`` for
:func:`cdisckit.writers.define.write_define`.

>>> import pandas as pd
>>> t = pd.DataFrame({"PARAMCD": ["OS", "OS"], "PARAM": ["Overall Survival (days)"] * 2, "CNSR": [0.0, 1.0],
...                   "STARTDSC": ["first dose (ADSL.TRTSDT)"] * 2, "EVNTDESC": ["DEATH", "ALIVE"],
...                   "CNSDTDSC": [None, "LAST KNOWN ALIVE DATE"]})
>>> define_origins({"ADTTE": t})[("ADTTE", "AVAL.OS")][1]
'Overall Survival (days): AVAL = ADT - STARTDT + 1 (days). Time origin STARTDT: first dose (ADSL.TRTSDT). Event (CNSR = 0): DEATH. Censored (CNSR > 0) at: LAST KNOWN ALIVE DATE.'
"""

from __future__ import annotations

import pandas as pd


def _values(s: pd.Series) -> list[str]:
    return sorted({str(v) for v in s.dropna()})


def define_origins(adam: dict[str, pd.DataFrame], params: dict | None = None) -> dict:
    """``{("ADTTE", "AVAL.<PARAMCD>"): ("Derived", method text)}`` naming each parameter's time origin."""
    out: dict = {}
    t = adam.get("ADTTE")
    if t is None or t.empty or "PARAMCD" not in t:
        return out
    for code, g in t.groupby("PARAMCD", sort=True):
        param = _values(g["PARAM"])[0] if "PARAM" in g and g["PARAM"].notna().any() else str(code)
        origin = "; ".join(_values(g["STARTDSC"])) if "STARTDSC" in g else "STARTDT"
        events = "; ".join(_values(g.loc[g["CNSR"] == 0, "EVNTDESC"])) if "EVNTDESC" in g else ""
        censors = "; ".join(_values(g.loc[g["CNSR"] > 0, "CNSDTDSC"])) if "CNSDTDSC" in g else ""
        text = f"{param}: AVAL = ADT - STARTDT + 1 (days). Time origin STARTDT: {origin}."
        if events:
            text += f" Event (CNSR = 0): {events}."
        if censors:
            text += f" Censored (CNSR > 0) at: {censors}."
        out[("ADTTE", f"AVAL.{code}")] = ("Derived", text)
    return out
