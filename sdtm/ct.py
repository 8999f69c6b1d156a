"""Controlled terminology: raw values -> CDISC submission values through YAML maps, codelist checks, decodes."""

from __future__ import annotations

from functools import cache

import pandas as pd

from cdisckit.conditions import normalise_text, normalise_value
from cdisckit.errors import InputError
from cdisckit.standards import SPECS_DIR


def map_lookup(values: dict) -> dict:
    """``{target: [raw, ...]}`` (YAML) -> ``{NORMALISED RAW: target}``; the target itself also maps to itself.

    >>> map_lookup({"M": ["Male", "1=Male"], "F": "Female"})["1=MALE"]
    'M'
    """
    out: dict[str, str | None] = {}
    for target, raws in values.items():
        tgt = None if target is None else str(target)
        if tgt is not None:
            out.setdefault(normalise_value(tgt), tgt)
        for raw in raws if isinstance(raws, list) else [raws]:
            out[normalise_value(raw)] = tgt
    return out


def derive_ct_value(values: pd.Series, *, lookup: dict, file=None, column=None, rows=None, map_name="") -> pd.Series:
    """Map raw values to submission values; a non-blank raw value the map does not know raises InputError.

    Comparison ignores case and surrounding/double blanks. Missing stays missing.

    >>> derive_ct_value(pd.Series(["male ", "2=Female", None]), lookup=map_lookup({"M": ["Male"], "F": ["2=Female"]})).tolist()
    ['M', 'F', nan]
    """
    present = values.notna()
    if not present.any():
        return values
    uniq = pd.Series(values[present].unique())
    mapped = normalise_text(uniq).map(lambda k: None if k is None else lookup.get(k, _MISSING))
    unknown = mapped.eq(_MISSING)
    if unknown.any():
        bad = uniq[unknown].iloc[0]
        first = values[values.eq(bad)].index[0]
        raise InputError(
            f"value {bad!r} has no entry in codelist map {map_name!r} (add it to the study's ct-maps YAML)",
            file=file,
            row=rows.loc[first] if rows is not None else first + 1,
            column=column,
        )
    table = pd.Series(mapped.values, index=uniq.values)
    return values.map(table)


_MISSING = "\x00missing"


def check_codelist(
    values: pd.Series, *, codelist_name: str, file=None, column=None, rows=None, what="", study_codelists=None
):
    """InputError when a value is outside a non-extensible codelist (extensible lists accept extensions); a study
    codelist of that name (sponsor codelist or extension) is used before CDISC CT.

    >>> check_codelist(pd.Series(["Y", None]), codelist_name="NY")
    """
    from .study_codelists import resolve_codelist

    cl = resolve_codelist(codelist_name, study_codelists)
    if cl.extensible:
        return
    present = values.dropna()
    bad = present[~present.isin(cl.values)]
    hint = "a study codelist: add the term to it" if cl.package == "Sponsor" else "map it in the study's ct-maps YAML"
    if not bad.empty:
        i = bad.index[0]
        raise InputError(
            f"value {bad.loc[i]!r} of {what or column} is not in codelist {codelist_name} ({hint})",
            file=file,
            row=rows.loc[i] if rows is not None else i + 1,
            column=column,
        )


@cache
def _paired_decode(code_list: str, name_list: str) -> dict:
    """``--TESTCD`` submission value -> ``--TEST`` submission value, paired through the NCI concept code."""
    ct = SPECS_DIR / "ct"
    a = pd.read_csv(ct / f"{code_list}.csv", dtype=str, keep_default_na=False)
    b = pd.read_csv(ct / f"{name_list}.csv", dtype=str, keep_default_na=False)
    m = a.merge(b, on="nci_code")
    return dict(zip(m["submission_value_x"], m["submission_value_y"]))


def derive_decode(codes: pd.Series, *, code_list: str, name_list: str) -> pd.Series:
    """--TEST from --TESTCD via the paired CT codelists (e.g. TRTESTCD/TRTEST); unknown codes stay missing.

    >>> derive_decode(pd.Series(["SUMDIAM", "TUMSTATE"]), code_list="TRTESTCD", name_list="TRTEST").tolist()
    ['Sum of Diameter', 'Tumor State']
    """
    return codes.map(_paired_decode(code_list, name_list))
