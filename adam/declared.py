"""Study-declared variables: what a study adds to the library's ADaM datasets, declared in its ``adam.yaml``.

The library derives the standard variables (``specs/adam/<NAME>.yaml``); a study declares its own, as admiral
generates ``TRTxxP`` from a template:

* ``adsl_vars``: ADSL variables from DM, SUPPDM or any SDTM domain (first/last record by date), e.g. a
  pretreatment start date from EX, a cohort from SUPPDM, the actual dose (ADaMIG ``DOSE01A``) from EX;
* ``adae_vars``: ADAE variables from AE or SUPPAE columns, e.g. a second grading scale (digits kept, ``<name>N``
  added);
* ``treatments``: relationship to each study treatment, ``AREL`` for the first, ``AREL<suffix>`` for the others.

:func:`adam_specs` extends the dataset declarations with these variables so that checks, XPT, Dataset-JSON and
define.xml describe them (label, type, origin, method).

>>> import pandas as pd
>>> dm = pd.DataFrame({"USUBJID": ["1", "2"]})
>>> supp = pd.DataFrame({"USUBJID": ["1"], "QNAM": ["COHORT"], "QVAL": ["A"]})
>>> d = derive_vars_declared(dm, {"SUPPDM": supp}, [{"name": "COHORT", "source": "SUPPDM", "qnam": "COHORT"}])
>>> d["COHORT"].iloc[0], d["COHORT"].isna().tolist()
('A', [False, True])
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from cdisckit.conditions import filter_rows
from cdisckit.dates import dtc_to_dt
from cdisckit.errors import SpecError

from .util import col, grade_digits, lookup, upper


def _key(kind: str, i: int, field: str) -> str:
    return f"{kind}[{i}].{field}"


def derive_vars_declared(
    dataset: pd.DataFrame, sdtm: dict[str, pd.DataFrame], declarations: list[dict], warn=None
) -> pd.DataFrame:
    """Add each ``adsl_vars`` declaration to the subject-level ``dataset``.

    ``source``: ``DM`` (``value``: a DM column), ``SUPPDM`` (``qnam``), or any SDTM domain: the first (``pick:
    first``, default) or last record per subject meeting ``where``, ordered by the ``date`` column; the value is
    the ``value`` column, or the date itself when no ``value`` is given (``type: Date`` -> an ADaM date). ``type``
    Num converts to numbers. A missing source gives an empty variable (never a crash); a missing column is a
    warning naming the declaration (the variable stays empty).

    >>> import pandas as pd
    >>> ex = pd.DataFrame({"USUBJID": ["1", "1"], "EXCAT": ["LD", "LD"], "EXSTDTC": ["2025-01-03", "2025-01-01"]})
    >>> d = derive_vars_declared(pd.DataFrame({"USUBJID": ["1"]}), {"EX": ex},
    ...     [{"name": "RUNINSDT", "source": "EX", "where": {"EXCAT": "LD"}, "date": "EXSTDTC", "type": "Date"}])
    >>> str(d["RUNINSDT"][0].date())
    '2025-01-01'
    """
    out = dataset.copy()
    for i, d in enumerate(declarations):
        name, source, typ = d["name"], str(d["source"]).upper(), d.get("type", "Char")
        values = pd.Series(None, index=out.index, dtype=object)
        if source == "DM":
            column = d.get("value")
            if not column:
                raise SpecError("a DM source needs value (the DM column)", key=_key("adsl_vars", i, "value"))
            values = col(out, column)
        elif source.startswith("SUPP"):
            supp = sdtm.get(source)
            if not d.get("qnam"):
                raise SpecError(f"a {source} source needs qnam", key=_key("adsl_vars", i, "qnam"))
            if supp is not None and not supp.empty and {"USUBJID", "QNAM", "QVAL"} <= set(supp.columns):
                rows = supp[upper(supp["QNAM"]) == str(d["qnam"]).upper()].drop_duplicates("USUBJID")
                values = lookup(out["USUBJID"], rows.set_index("USUBJID")["QVAL"]).astype(object)
        else:
            data = sdtm.get(source)
            if data is not None and not data.empty and "USUBJID" in data:
                absent = [d[f] for f in ("date", "value") if d.get(f) and d[f] not in data]
                if absent:
                    if warn:
                        warn(f"ADSL: adsl_vars[{i}] ({name}): {source} has no column {absent[0]}; {name} is empty")
                    out[name] = pd.Series(pd.NaT if typ == "Date" else None, index=out.index)
                    continue
                rows = filter_rows(data, d.get("where"), key=_key("adsl_vars", i, "where"))
                when = dtc_to_dt(rows[d["date"]]) if d.get("date") else pd.Series(pd.NaT, index=rows.index)
                vals = rows[d["value"]] if d.get("value") else when
                tmp = pd.DataFrame({"USUBJID": rows["USUBJID"].values, "_d": when.values, "_v": vals.values})
                tmp = tmp.dropna(subset=["_v"] + (["_d"] if d.get("date") else []))
                tmp = tmp.sort_values(["USUBJID", "_d"], kind="stable", na_position="last")
                tmp = tmp.drop_duplicates("USUBJID", keep="last" if d.get("pick") == "last" else "first")
                values = lookup(out["USUBJID"], tmp.set_index("USUBJID")["_v"])
        if typ == "Num":
            values = pd.to_numeric(values, errors="coerce").astype(float)
        elif typ == "Date":
            values = (values if pd.api.types.is_datetime64_any_dtype(values) else dtc_to_dt(values)).astype(
                "datetime64[ns]"
            )
        else:
            values = values.astype(object).where(values.notna(), None)
        out[name] = values.values
    return out


def derive_vars_declared_ae(dataset: pd.DataFrame, declarations: list[dict]) -> pd.DataFrame:
    """Add each ``adae_vars`` declaration: ``name`` = column ``from`` (AE or merged SUPPAE); with ``grade`` the
    digits are kept (``Grade 2`` -> ``2``) and ``<name>N`` holds the number.

    >>> import pandas as pd
    >>> ae = pd.DataFrame({"XGRADE": ["Grade 2", None]})
    >>> derive_vars_declared_ae(ae, [{"name": "AXGR", "from": "XGRADE", "grade": True}])["AXGRN"].tolist()
    [2.0, nan]
    """
    out = dataset.copy()
    for d in declarations:
        src = col(out, d["from"])
        if d.get("grade"):
            out[d["name"] + "N"], out[d["name"]] = grade_digits(src)
        else:
            out[d["name"]] = src.astype(object).where(src.notna(), None)
    return out


def relationship_vars(treatments: list[dict]) -> list[tuple[str, str, str]]:
    """(ADAE variable, source column, label) per declared treatment: AREL for the first, AREL<suffix> after.

    >>> relationship_vars([{"name": "Drug X", "relationship": "AEREL"}, {"name": "Chemo", "relationship": "AERELCH", "suffix": "CH"}])
    [('AREL', 'AEREL', 'Analysis Causality'), ('ARELCH', 'AERELCH', 'Analysis Causality to Chemo')]
    """
    out = []
    for i, t in enumerate(treatments):
        if i == 0:
            out.append(("AREL", t["relationship"], "Analysis Causality"))
        else:
            suffix = t.get("suffix") or str(i + 1)
            out.append((f"AREL{suffix}", t["relationship"], f"Analysis Causality to {t['name']}"))
    return out


def derive_vars_rel(dataset: pd.DataFrame, treatments: list[dict]) -> pd.DataFrame:
    """Relationship of each AE to each declared treatment (upper case), from an AE column or a SUPPAE QNAM."""
    out = dataset.copy()
    for new, source, _label in relationship_vars(treatments):
        if source in out.columns:
            out[new] = upper(out[source])
    return out


# ---------------------------------------------------------------- metadata for checks, writers, define.xml
def declared_variables(params: dict) -> dict[str, list[tuple[str, str, str, str]]]:
    """Per ADaM dataset: (name, label, type Char/Num, method) of each study-declared variable."""
    from cdisckit.standards import adam_variable

    adsl, adae = [], []
    for d in params.get("adsl_vars") or []:
        typ = "Num" if d.get("type") in ("Num", "Date") else "Char"
        std = adam_variable(d["name"], ("ADSL",))
        label = d.get("label") or (std.label if std else d["name"])
        if d.get("method"):
            method = d["method"]
        elif str(d["source"]).upper().startswith("SUPP"):
            method = f"{d['source']}.QVAL where QNAM = {d.get('qnam')}"
        elif str(d["source"]).upper() == "DM":
            method = f"DM.{d.get('value')}"
        else:
            what = d.get("value") or d.get("date")
            method = f"{d.get('pick', 'first')} {d['source']}.{what} per subject" + (
                f" (by {d['source']}.{d['date']})" if d.get("date") and d.get("value") else ""
            )
            if d.get("where"):
                method += f" where {d['where']}"
        adsl.append((d["name"], label, typ, method))
    for d in params.get("adae_vars") or []:
        label = d.get("label") or d["name"]
        adae.append((d["name"], label, "Char", d.get("method") or f"{d['from']} (AE or SUPPAE)"))
        if d.get("grade"):
            adae.append((d["name"] + "N", f"{label} (N)"[:40], "Num", f"{d['name']} as a number"))
    for name, source, label in relationship_vars(params.get("treatments") or []):
        if name != "AREL":
            adae.append((name, label[:40], "Char", f"{source} (AE or SUPPAE), upper case"))
    return {"ADSL": adsl, "ADAE": adae}


def adam_specs(params: dict) -> dict:
    """DatasetSpec per ADaM dataset: specs/adam/<NAME>.yaml plus the study-declared variables (sponsor-defined,
    origin Derived with their method text); pass to the checks and writers.

    >>> s = adam_specs({"adsl_vars": [{"name": "COHORT", "label": "Cohort", "source": "SUPPDM", "qnam": "COHORT"}]})
    >>> s["ADSL"].variable("COHORT").label, s["ADSL"].variable("COHORT").sponsor
    ('Cohort', True)
    """
    from cdisckit.standards import VariableSpec, adam_dataset, adam_datasets

    extra = declared_variables(params)
    out = {}
    for name in adam_datasets():
        spec = adam_dataset(name)
        added = [
            VariableSpec(n, label, typ, "Perm", len(spec.variables) + k, sponsor=True, origin="Derived", method=m)
            for k, (n, label, typ, m) in enumerate(extra.get(name, []), start=1)
            if spec.variable(n) is None
        ]
        # a declared variable the library also knows (e.g. ADaMIG DOSE01A) keeps its standard label and type
        known = {n: m for n, _l, _t, m in extra.get(name, []) if spec.variable(n) is not None}
        variables = tuple(
            replace(v, method=known[v.name], origin="Derived") if v.name in known else v for v in spec.variables
        )
        out[name] = replace(spec, variables=variables + tuple(added))
    return out


def declared_names(params: dict, dataset: str) -> list[str]:
    return [n for n, *_ in declared_variables(params).get(dataset, [])]


def labels_of(spec) -> dict[str, str]:
    return {v.name: v.label for v in spec.variables}


__all__ = [
    "derive_vars_declared",
    "derive_vars_declared_ae",
    "derive_vars_rel",
    "relationship_vars",
    "declared_variables",
    "adam_specs",
    "declared_names",
]
