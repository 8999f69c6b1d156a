"""Compare two sets of datasets record by record and variable by variable, as SAS PROC COMPARE does with ID
variables: double programming, or a mapping checked against published SDTM.

Records are matched per dataset by its keys (``keys={"AE": ["USUBJID", "AETERM", "AESTDTC"]}``; default: the
dataset keys of specs/keys.yaml, else USUBJID); records that share a key are matched in their order. SUPPxx
records are matched through their parent record: IDVAR/IDVARVAL (``AESEQ`` 3) is replaced by the parent's keys on
each side, so a different --SEQ numbering does not make every qualifier differ. Values are equal when both are
missing (blank text counts as missing), when numbers are equal (a number and numeric text compare as numbers),
or when the texts are equal.

>>> ours = {"DM": pd.DataFrame({"USUBJID": ["A", "B"], "AGE": [63.0, 70.0], "SEX": ["F", "M"]})}
>>> ref = {"DM": pd.DataFrame({"USUBJID": ["A", "B", "C"], "AGE": ["63", "71", "50"], "SEX": ["F", "M", "F"]})}
>>> c = compare_datasets(ours, ref)
>>> c.datasets[["dataset", "ref_records", "matched", "pct_matched"]].values.tolist()
[['DM', 3, 2, 66.67]]
>>> c.variables[["variable", "compared", "equal", "pct_equal"]].values.tolist()
[['AGE', 2, 1, 50.0], ['SEX', 2, 2, 100.0]]
>>> c.differences[["USUBJID", "variable", "ours", "ref"]].values.tolist()
[['B', 'AGE', '70', '71']]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError

IGNORE = ("STUDYID", "DOMAIN", "RDOMAIN")


@dataclass
class Comparison:
    """``datasets``: one row per dataset (records in each, matched, only in one, % of reference matched);
    ``variables``: one row per dataset and shared variable (records compared, equal, % equal);
    ``differences``: every differing value (dataset, the match keys, variable, ours, ref);
    ``only_in``: variables that only one side has; ``unmatched``: records that only one side has."""

    datasets: pd.DataFrame
    variables: pd.DataFrame
    differences: pd.DataFrame
    only_in: pd.DataFrame
    unmatched: pd.DataFrame
    keys: dict = field(default_factory=dict)

    def table(self) -> str:
        """The agreement table as text: per dataset, then per variable."""
        lines = ["dataset    ref  ours  matched  only-ours  only-ref  %matched"]
        for r in self.datasets.itertuples(index=False):
            lines.append(
                f"{r.dataset:<8} {r.ref_records:>5} {r.our_records:>5} {r.matched:>8} {r.only_ours:>10} "
                f"{r.only_ref:>9} {r.pct_matched:>9.2f}"
            )
        lines += ["", "dataset  variable   compared    equal   %equal"]
        for r in self.variables.itertuples(index=False):
            lines.append(f"{r.dataset:<8} {r.variable:<9} {r.compared:>9} {r.equal:>8} {r.pct_equal:>8.2f}")
        if len(self.only_in):
            lines += ["", "variables in one side only:"]
            for r in self.only_in.itertuples(index=False):
                lines.append(f"  {r.dataset}.{r.variable}: only in {r.side}")
        return "\n".join(lines)


def _norm(s: pd.Series) -> pd.Series:
    """Comparison form: missing/blank -> None; numbers (or numeric text) -> canonical float text; text stripped."""
    t = s.astype(object).where(s.notna(), None)
    text = t.map(lambda v: str(v).strip() if v is not None else None)
    text = text.where(text.ne(""), None)
    num = pd.to_numeric(text, errors="coerce")
    canon = num.map(lambda v: repr(float(v)), na_action="ignore")
    return canon.where(num.notna(), text).astype(object)


def _default_keys(name: str, ours: pd.DataFrame, ref: pd.DataFrame) -> list[str]:
    from .standards import sdtm_dataset

    try:
        keys = [k for k in sdtm_dataset(name).keys if k != "STUDYID"]
    except Exception:
        keys = []
    keys = [k for k in keys if k in ours.columns and k in ref.columns]
    return keys or [c for c in ("USUBJID",) if c in ours.columns and c in ref.columns]


def _parent_keyed(supp: pd.DataFrame, parent: pd.DataFrame | None, pkeys: list[str]) -> pd.DataFrame:
    """SUPPxx with IDVAR/IDVARVAL replaced by the parent record's keys (``_P_<key>`` columns)."""
    out = supp.copy()
    if parent is None or "IDVAR" not in supp.columns or supp.empty:
        return out
    idvar = supp["IDVAR"].astype(object).where(supp["IDVAR"].notna(), None)
    seqs = {v for v in idvar.dropna().unique() if v in parent.columns}
    for k in pkeys:
        out[f"_P_{k}"] = None
    for var in seqs:
        look = parent[["USUBJID", var] + [k for k in pkeys if k not in ("USUBJID", var)]].copy()
        look["_ID"] = _norm(look[var])
        look = look.drop_duplicates(["USUBJID", "_ID"])
        rows = idvar.eq(var)
        m = pd.DataFrame({"USUBJID": supp.loc[rows, "USUBJID"], "_ID": _norm(supp.loc[rows, "IDVARVAL"])})
        got = m.merge(look, on=["USUBJID", "_ID"], how="left").set_index(m.index)
        for k in pkeys:
            if k != "USUBJID" and k in got.columns:
                out.loc[rows, f"_P_{k}"] = got[k].astype(object).to_numpy()
    return out.drop(columns=[c for c in ("IDVARVAL",) if c in out.columns and seqs])


def _match(
    ours: pd.DataFrame, ref: pd.DataFrame, keys: list[str], tie: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Matched pairs (index of ours, index of ref), ours-only rows, ref-only rows. Records sharing a key are
    paired in the order of their other shared values (``tie``), so identical records pair with each other."""
    a = pd.DataFrame({k: _norm(ours[k]).fillna("\x00") for k in keys}, index=ours.index)
    b = pd.DataFrame({k: _norm(ref[k]).fillna("\x00") for k in keys}, index=ref.index)
    ta = pd.DataFrame({f"_T{i}": _norm(ours[c]).fillna("") for i, c in enumerate(tie)}, index=ours.index)
    tb = pd.DataFrame({f"_T{i}": _norm(ref[c]).fillna("") for i, c in enumerate(tie)}, index=ref.index)
    order = keys + list(ta.columns)
    a = pd.concat([a, ta], axis=1).sort_values(order, kind="stable")
    b = pd.concat([b, tb], axis=1).sort_values(order, kind="stable")
    a["_N"] = a.groupby(keys, sort=False).cumcount()
    b["_N"] = b.groupby(keys, sort=False).cumcount()
    a, b = a.drop(columns=list(ta.columns)), b.drop(columns=list(tb.columns))
    a["_IA"], b["_IB"] = a.index, b.index
    m = a.merge(b, on=keys + ["_N"], how="outer", indicator=True)
    both = m[m["_merge"] == "both"]
    return both, m[m["_merge"] == "left_only"], m[m["_merge"] == "right_only"]


def compare_datasets(
    ours: dict[str, pd.DataFrame],
    ref: dict[str, pd.DataFrame],
    keys: dict[str, list[str]] | None = None,
    *,
    ignore: tuple[str, ...] = IGNORE,
    max_differences: int | None = None,
) -> Comparison:
    """Compare every dataset the reference has (a dataset only ours has is reported with 0 reference records)."""
    keys = {k.upper(): list(v) for k, v in (keys or {}).items()}
    ours = {k.upper(): v for k, v in ours.items()}
    ref = {k.upper(): v for k, v in ref.items()}
    ds_rows, var_rows, diffs, only_in, unmatched = [], [], [], [], []
    used_keys = {}
    for name in sorted(set(ref) | set(ours)):
        a = ours.get(name, pd.DataFrame())
        b = ref.get(name, pd.DataFrame())
        if name.startswith("SUPP") and not a.empty and not b.empty:
            parent = name[4:]
            pk = keys.get(parent) or _default_keys(parent, ours.get(parent, a), ref.get(parent, b))
            a = _parent_keyed(a, ours.get(parent), pk)
            b = _parent_keyed(b, ref.get(parent), pk)
            default = ["USUBJID", "QNAM"] + [c for c in a.columns if c.startswith("_P_") and c in b.columns]
            default += [c for c in ("IDVAR", "IDVARVAL") if c in a.columns and c in b.columns]
            k = keys.get(name) or default
        else:
            k = keys.get(name) or _default_keys(name, a, b)
        missing = [c for c in k if c not in a.columns or c not in b.columns]
        if a.empty or b.empty or missing:
            ds_rows.append(_ds_row(name, len(b), len(a), 0))
            if missing and not (a.empty or b.empty):
                raise InputError(f"compare: key {', '.join(missing)} is not in both {name} datasets")
            continue
        used_keys[name] = k
        shared = [c for c in b.columns if c in a.columns and c not in k and c not in ignore and not c.startswith("_")]
        both, left, right = _match(a, b, k, [c for c in shared if not c.endswith("SEQ")])
        ds_rows.append(_ds_row(name, len(b), len(a), len(both)))
        for side, rows, frame, col in (("ours", left, a, "_IA"), ("ref", right, b, "_IB")):
            if len(rows):
                u = frame.loc[rows[col].astype(int), [c for c in k if c in frame.columns]].copy()
                u.insert(0, "side", side)
                u.insert(0, "dataset", name)
                unmatched.append(u)
        for side, cols in (
            ("ours", [c for c in a.columns if c not in b.columns]),
            ("ref", [c for c in b.columns if c not in a.columns]),
        ):
            only_in += [{"dataset": name, "variable": c, "side": side} for c in cols if not c.startswith("_P_")]
        ia, ib = both["_IA"].astype(int).to_numpy(), both["_IB"].astype(int).to_numpy()
        keyvals = a.loc[ia, k].reset_index(drop=True)
        for var in shared:
            va = _norm(a.loc[ia, var]).reset_index(drop=True)
            vb = _norm(b.loc[ib, var]).reset_index(drop=True)
            eq = (va.isna() & vb.isna()) | (va == vb).fillna(False).astype(bool)
            eq = eq.astype(bool)
            var_rows.append(
                {
                    "dataset": name,
                    "variable": var,
                    "compared": len(eq),
                    "equal": int(eq.sum()),
                    "pct_equal": round(100.0 * eq.mean(), 2) if len(eq) else 100.0,
                }
            )
            if (~eq).any():
                d = keyvals[~eq.to_numpy()].copy()
                d.insert(0, "dataset", name)
                d["variable"] = var
                d["ours"] = a.loc[ia, var].reset_index(drop=True)[~eq.to_numpy()].map(_show).to_numpy()
                d["ref"] = b.loc[ib, var].reset_index(drop=True)[~eq.to_numpy()].map(_show).to_numpy()
                diffs.append(d if max_differences is None else d.head(max_differences))
    cols_diff = ["dataset", "variable", "ours", "ref"]
    return Comparison(
        datasets=pd.DataFrame(
            ds_rows,
            columns=["dataset", "ref_records", "our_records", "matched", "only_ours", "only_ref", "pct_matched"],
        ),
        variables=pd.DataFrame(var_rows, columns=["dataset", "variable", "compared", "equal", "pct_equal"]),
        differences=pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame(columns=cols_diff),
        only_in=pd.DataFrame(only_in, columns=["dataset", "variable", "side"]),
        unmatched=pd.concat(unmatched, ignore_index=True) if unmatched else pd.DataFrame(columns=["dataset", "side"]),
        keys=used_keys,
    )


def _show(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v)


def _ds_row(name, n_ref, n_ours, matched) -> dict:
    return {
        "dataset": name,
        "ref_records": n_ref,
        "our_records": n_ours,
        "matched": matched,
        "only_ours": n_ours - matched,
        "only_ref": n_ref - matched,
        "pct_matched": round(100.0 * matched / n_ref, 2) if n_ref else (100.0 if not n_ours else 0.0),
    }


def read_datasets(folder: Path) -> dict[str, pd.DataFrame]:
    """Datasets of a folder for comparing: what :func:`cdisckit.io.read_folder` reads, and ``.csv.gz`` files."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not a folder of datasets", file=str(folder))
    out: dict[str, pd.DataFrame] = {}
    for p in sorted(folder.glob("*.csv.gz")):
        out[p.name[: -len(".csv.gz")].upper()] = pd.read_csv(p, dtype=str, keep_default_na=False)
    from .io import read_folder

    try:
        out.update({k.upper(): v for k, v in read_folder(folder).items() if k.upper() not in out})
    except InputError:
        if not out:
            raise
    if not out:
        raise InputError("no datasets (.xpt, .csv, .csv.gz, .parquet, .json) in the folder", file=str(folder))
    return out
