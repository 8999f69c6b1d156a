"""Raw EDC export -> SDTM datasets, driven entirely by the study's mapping YAML.

Phases: (1) read the forms a mapping uses, derive the visit calendar; (2) map every source block of every
domain (filters, drops, joins, assignments, SUPP values); (3) ``derived:`` sections (DM reference dates,
age, arms) that need other domains; (4) timing (study day, epoch, last-observation-before-exposure flags);
(5) sort by keys, --SEQ, SUPPxx, standard column order and types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cdisckit.dates import dtc_to_dt
from cdisckit.errors import SpecError
from cdisckit.specio import spec_error
from cdisckit.standards import codelist, sdtm_dataset

from .assign import Context, _template, condition_mask, evaluate
from .derive_dates import derive_iso8601
from .derive_dm import run_derivation
from .derive_se import derive_epoch_from_se, derive_se
from .derive_seq import derive_seq, sort_by_keys
from .derive_timing import derive_epoch, derive_study_day, derive_visitnum
from .forms import read_form
from .reconcile import Reconciler
from .same_facts import check_same_facts
from .spec import load_study
from .supp import SUPP_PREFIX, derive_supp
from .trial_design import check_dm_arms, design_datasets

DM_REFS = ["RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC", "DTHDTC"]


@dataclass
class SdtmResult:
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    reconciliation: dict = field(default_factory=dict)
    study: dict = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)  # same facts that disagree across forms (same_facts.py)


def map_study(
    study_dir: Path, raw_dir: Path | None = None, progress: Callable[[str], None] | None = None
) -> SdtmResult:
    """Map a study's raw export to SDTM. ``raw_dir`` None = study.yaml ``raw:`` relative to the study folder."""
    say = progress or (lambda msg: None)
    study_dir = Path(study_dir)
    study = load_study(study_dir)
    if raw_dir is None:
        if not study["raw"]:
            raise SpecError("no raw: folder in study.yaml and none given", file=study["file"], key="raw")
        raw_dir = (study_dir / study["raw"]).resolve()
    raw_dir = Path(raw_dir)
    mapper = _Mapper(study, raw_dir, say)
    return mapper.run()


class _Mapper:
    def __init__(self, study, raw_dir, say):
        self.study, self.raw_dir, self.say = study, raw_dir, say
        self.raw: dict[str, pd.DataFrame] = {}
        self.rec = Reconciler()
        self.cols = study["columns"]
        self.calendar: dict[str, pd.DataFrame] = {}
        self.visit_calendar: pd.DataFrame | None = None  # USUBJID, VISITNUM, VISIT, DATE of every visit row (SV)
        self.se: pd.DataFrame | None = None  # subject elements, when the study has a trial design (EPOCH)
        self.date_cache: dict = {}

    # ------------------------------------------------------------ inputs
    def form(self, name: str) -> pd.DataFrame:
        if name not in self.raw:
            self.say(f"reading {self.study['forms'][name]['file']}")
            used = {c for spec in self.study["domains"].values() for f, c, *_ in spec["_refs"] if f == name}
            df = read_form(self.study, name, self.raw_dir, columns_used=used)
            self.raw[name] = df
            self.rec.register(name, df, self.cols["record"], self.cols["subject"])
        return self.raw[name]

    def file(self, form: str) -> str:
        return str(self.raw_dir / self.study["forms"][form]["file"])

    def rows(self, form: str, df: pd.DataFrame) -> pd.Series:
        rec = df[self.cols["record"]]
        return rec.where(rec.ne(""), pd.Series(df.index + 1, index=df.index).astype("str"))

    def usubjid(self, df: pd.DataFrame) -> pd.Series:
        out = {"STUDYID": pd.Series(self.study["study"], index=df.index, dtype="str")}
        return _template(self.study["usubjid"], df, out, df.index)

    def build_calendar(self):
        v = self.study.get("visits")
        if not v or not v.get("forms"):
            return
        parts = []
        for form, datecol in v["forms"].items():
            df = self.form(form)
            parts.append(
                pd.DataFrame(
                    {
                        "FORM": form,
                        "IDX": df.index,
                        "RECORDID": self.rows(form, df).to_numpy(),
                        "USUBJID": self.usubjid(df).to_numpy(),
                        "FOLDER": df[self.cols["folder"]].to_numpy(),
                        "DATE": derive_iso8601(
                            df[datecol], file=self.file(form), column=datecol, rows=self.rows(form, df)
                        ).to_numpy(),
                    }
                )
            )
        cal = derive_visitnum(
            pd.concat(parts, ignore_index=True),
            schedule=v.get("schedule") or [],
            unscheduled=v.get("unscheduled"),
            file_of={f: self.file(f) for f in v["forms"]},
        )
        for form, sub in cal.groupby("FORM", sort=False):
            self.calendar[form] = sub.set_index("IDX")[["VISITNUM", "VISIT", "VISITDY"]]
        self.visit_calendar = cal[["USUBJID", "VISITNUM", "VISIT", "DATE"]]

    def same_fact_dates(self, item: dict) -> pd.DataFrame:
        """SUBJECT, RECORDID, DTC, RAW of one form entry of a study.yaml ``same_facts`` item."""
        df = self.form(item["form"])
        if item.get("where"):
            df = df[condition_mask(item["where"], df, {}, df.index)]
        file, rows = self.file(item["form"]), self.rows(item["form"], df)
        out = pd.DataFrame(
            {
                "SUBJECT": df[self.cols["subject"]].to_numpy(),
                "RECORDID": rows.to_numpy(),
                "DTC": derive_iso8601(df[item["date"]], file=file, column=item["date"], rows=rows).to_numpy(),
                "RAW": df[item["date"]].to_numpy(),
            }
        )
        out.attrs["file"] = file
        return out

    # ------------------------------------------------------------ phase 2: blocks
    def map_block(self, spec: dict, bi: int, block: dict, ds) -> pd.DataFrame | None:
        form = block["form"]
        raw = self.form(form)
        domain = spec["domain"]
        frame = raw
        if block.get("where"):
            frame = frame[condition_mask(block["where"], frame, {}, frame.index)]
        for d in block.get("drop") or []:
            m = condition_mask(d["when"], frame, {}, frame.index)
            if m.any():
                self.rec.dropped(form, frame.index[m], str(d["reason"]))
                frame = frame[~m]
        subj = self.cols["subject"]
        for j in block.get("join") or []:
            frame = self.join(frame, j, domain)
        if block.get("first_per"):
            fp = block["first_per"]
            keys = [subj] + [k for k in fp.get("keys") or [] if k != subj]
            order = frame[keys].copy()
            if fp.get("order"):
                order["_O"] = dtc_to_dt(
                    derive_iso8601(
                        frame[fp["order"]], file=self.file(form), column=fp["order"], rows=self.rows(form, frame)
                    )
                )
            order = order.sort_values(keys + (["_O"] if fp.get("order") else []), kind="stable", na_position="last")
            first = ~order.duplicated(keys)
            later = order.index[~first.to_numpy()]
            self.rec.dropped(form, later, f"not the first row per {', '.join(keys)} (first_per)")
            frame = frame.loc[np.sort(order.index[first.to_numpy()])]
        if frame.empty:
            return None
        self.rec.mapped(form, domain, frame.index)
        ctx = Context(
            file=self.file(form),
            rows=self.rows(form, frame),
            maps=self.study["maps"],
            dataset=ds,
            form_frame=raw,
            form_rows=self.rows(form, raw),
            date_cache=self.date_cache,
        )
        out: dict[str, pd.Series] = {
            "STUDYID": pd.Series(self.study["study"], index=frame.index, dtype="str"),
            "DOMAIN": pd.Series(domain, index=frame.index, dtype="str"),
        }
        out["USUBJID"] = self.usubjid(frame)
        if block.get("visit"):
            cal = self.calendar[form].reindex(frame.index)
            for c in ("VISITNUM", "VISIT", "VISITDY"):
                if c in ds.names:
                    out[c] = cal[c]
        for var, a in (block.get("variables") or {}).items():
            out[var] = evaluate(a, frame, out, ctx, var)
            self.check_ct(out[var], ds.variable(var), a, ctx, var)
        for qnam, q in (block.get("supp") or {}).items():
            body = {k: v for k, v in q.items() if k not in ("label", "qorig", "qeval")}
            out[SUPP_PREFIX + qnam] = evaluate(body, frame, out, ctx, qnam)
        res = pd.DataFrame(out)
        res["_FILE"] = ctx.file
        res["_RECORDID"] = ctx.rows
        res["_ORDER"] = bi * 10_000_000_000 + frame.index.to_numpy()
        return res

    def join(self, frame: pd.DataFrame, j: dict, domain: str) -> pd.DataFrame:
        subj = self.cols["subject"]
        other = self.form(j["form"])
        cols = [c for c in j.get("columns") or [] if c not in frame.columns or c == subj]
        sub = other[[subj] + [c for c in cols if c != subj]]
        if j.get("order"):
            key = dtc_to_dt(
                derive_iso8601(
                    other[j["order"]], file=self.file(j["form"]), column=j["order"], rows=self.rows(j["form"], other)
                )
            )
            sub = sub.assign(_O=key).sort_values("_O", kind="stable", na_position="last").drop(columns="_O")
        keep = "last" if j.get("pick") == "last" else "first"
        picked = sub[~sub[subj].duplicated(keep=keep)]
        picked = picked[picked[subj].isin(frame[subj])]
        self.rec.mapped(j["form"], domain, picked.index)
        return frame.join(picked.set_index(subj), on=subj)

    def check_ct(self, values: pd.Series, vspec, a, ctx: Context, var: str):
        if vspec is None or not vspec.codelist or values.dtype.kind in "fi":
            return
        cl = codelist(vspec.codelist)
        if cl.extensible:
            return
        from .ct import check_codelist

        column = None
        if isinstance(a, dict):
            src = a.get("source") or a.get("date")
            column = src[0] if isinstance(src, list) else src
        check_codelist(
            values, codelist_name=vspec.codelist, file=ctx.file, column=column or var, rows=ctx.rows, what=var
        )

    def map_domain(self, spec: dict) -> pd.DataFrame:
        ds = sdtm_dataset(spec["domain"])
        self.say(f"mapping {spec['domain']}")
        frames = [
            f for bi, b in enumerate(spec.get("sources") or []) if (f := self.map_block(spec, bi, b, ds)) is not None
        ]
        if not frames:
            return pd.DataFrame(columns=["STUDYID", "DOMAIN", "USUBJID"])
        df = pd.concat(frames, ignore_index=True)
        if spec["domain"] == "DM":
            dup = df["USUBJID"].duplicated()
            if dup.any():
                from cdisckit.errors import InputError

                r = df[dup].iloc[0]
                raise InputError(
                    f"subject {r['USUBJID']} appears more than once in the demographics form",
                    file=r["_FILE"],
                    row=r["_RECORDID"],
                    column=self.cols["subject"],
                )
        return df

    # ------------------------------------------------------------ phase 3/4
    def derive_section(self, name: str, spec: dict, domains: dict):
        if not spec.get("derived"):
            return
        ds = sdtm_dataset(name)
        df = domains[name]
        ctx = Context(file=spec["_file"], rows=None, maps=self.study["maps"], dataset=ds)
        ctx.derive = lambda var, a, out: run_derivation(var, a, out, domains)
        for var, a in spec["derived"].items():
            out = {c: df[c] for c in df.columns}
            try:
                df[var] = evaluate(a, None, out, ctx, var)
            except KeyError as exc:
                raise spec_error(
                    f"unknown variable {exc.args[0]!r} in {name}", spec["derived"], var, f"derived.{var}"
                ) from None
            domains[name] = df

    def timing(self, name: str, spec: dict, dm: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
        t = spec.get("timing") or {}
        if not t or df.empty:
            return df
        refs = dm.set_index("USUBJID")[[c for c in DM_REFS if c in dm.columns]]
        per_row = refs.reindex(df["USUBJID"].to_numpy()).set_index(df.index)
        ref_var = self.study["study_day_reference"]
        for dy, dtc in (t.get("study_day") or {}).items():
            if dtc in df.columns:
                df[dy] = derive_study_day(df[dtc], per_row[ref_var]) if ref_var in per_row else np.nan
        if t.get("epoch") and self.se is not None and t["epoch"] in df.columns:
            df["EPOCH"] = derive_epoch_from_se(df[t["epoch"]], df["USUBJID"], self.se)
        elif t.get("epoch") and self.study.get("epochs") and t["epoch"] in df.columns:
            df["EPOCH"] = derive_epoch(df[t["epoch"]], per_row, epochs=self.study["epochs"])
        for flag, how in (t.get("last_before_exposure") or {}).items():
            df[flag] = derive_lobxfl(df, per_row.get("RFXSTDTC"), date=how["date"], by=how.get("by") or [])
        return df

    def finalize(self, name: str, spec: dict, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        ds = sdtm_dataset(name)
        keys = list(ds.keys) + list(spec.get("sort") or []) + ["_ORDER"]
        df = sort_by_keys(df, keys) if not df.empty else df
        seq = f"{name}SEQ"
        if seq in ds.names and not df.empty:
            df[seq] = derive_seq(df["USUBJID"])
        quals: dict[str, dict] = {}
        for block in spec.get("sources") or []:
            quals.update(block.get("supp") or {})
        supp = derive_supp(df, domain=name, qualifiers=quals) if quals and not df.empty else pd.DataFrame()
        return standardise(df, ds), (standardise(supp, sdtm_dataset("SUPP" + name)) if not supp.empty else supp)

    def run(self) -> SdtmResult:
        self.build_calendar()
        warnings = check_same_facts(self.study.get("same_facts") or [], self.same_fact_dates)
        specs = self.study["domains"]
        domains = {name: self.map_domain(spec) for name, spec in specs.items()}
        order = [n for n in specs if n != "DM"] + (["DM"] if "DM" in specs else [])
        for name in order:
            self.derive_section(name, specs[name], domains)
        dm = domains.get("DM", pd.DataFrame(columns=["USUBJID"]))
        if self.study.get("design") and "DM" in domains:
            self.say("deriving subject elements (SE)")
            check_dm_arms(dm, self.study["design"])
            self.se = derive_se(
                domains, self.study["design"], study_id=self.study["study"], reference=self.study["study_day_reference"]
            )
        datasets = {}
        for name, spec in specs.items():
            self.say(f"finishing {name}")
            df = self.timing(name, spec, dm, domains[name])
            main, supp = self.finalize(name, spec, df)
            datasets[name] = main
            if not supp.empty:
                datasets["SUPP" + name] = supp
        if self.study.get("design"):
            self.say("trial design datasets")
            datasets.update(design_datasets(self.study, datasets, se=self.se, calendar=self.visit_calendar))
        return SdtmResult(datasets=datasets, reconciliation=self.rec.result(), study=self.study, warnings=warnings)


def derive_lobxfl(df: pd.DataFrame, rfxstdtc: pd.Series | None, *, date: str, by: list[str]) -> pd.Series:
    """--LOBXFL: ``Y`` on the last record on or before first exposure per subject (and ``by`` variables).

    >>> df = pd.DataFrame({"USUBJID": ["A"] * 3, "TRDTC": ["2025-01-01", "2025-01-05", "2025-03-01"]})
    >>> derive_lobxfl(df, pd.Series(["2025-01-10"] * 3), date="TRDTC", by=[]).tolist()
    [nan, 'Y', nan]
    """
    out = pd.Series(np.nan, index=df.index, dtype="str")
    if rfxstdtc is None or date not in df.columns:
        return out
    d, ref = dtc_to_dt(df[date]), dtc_to_dt(rfxstdtc)
    elig = d.notna() & ref.notna() & (d <= ref)
    if not elig.any():
        return out
    keys = ["USUBJID"] + [b for b in by if b in df.columns]
    sub = df.loc[elig, keys].assign(_D=d[elig])
    sub = sub.fillna({k: "" for k in keys}) if keys else sub
    last = sub.sort_values("_D", kind="stable").groupby(keys, dropna=False).tail(1).index
    out.loc[last] = "Y"
    return out


def standardise(df: pd.DataFrame, ds) -> pd.DataFrame:
    """Columns in SDTMIG order (Req/Exp always, others only when populated); Num float64, Char object/None."""
    cols = []
    for v in ds.variables:
        present = v.name in df.columns and df[v.name].notna().any()
        if present or v.core in ("Req", "Exp"):
            cols.append(v.name)
    out = pd.DataFrame(index=df.index)
    for v in ds.variables:
        if v.name not in cols:
            continue
        s = df[v.name] if v.name in df.columns else pd.Series(np.nan, index=df.index)
        if v.type == "Num":
            out[v.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            s = s.astype(object)
            out[v.name] = s.where(s.notna(), None)
    return out.reset_index(drop=True)
