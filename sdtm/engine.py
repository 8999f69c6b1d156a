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
from cdisckit.errors import CdiscKitError, SpecError
from cdisckit.memory import release_memory, trim_memory
from cdisckit.specio import spec_error
from cdisckit.standards import sdtm_dataset

from .assign import Context, _template, blank_to_missing, condition_mask, evaluate
from .derive_dates import derive_iso8601
from .derive_dm import run_derivation
from .derive_long import derive_long_records
from .derive_se import derive_epoch_from_se, derive_se, epoch_spans
from .derive_seq import derive_seq, sort_by_keys
from .derive_timing import derive_epoch, derive_study_day, derive_visitnum
from .forms import check_forms, read_form
from .reconcile import Reconciler
from .same_facts import check_same_facts
from .spec import load_study
from .study_codelists import resolve_codelist
from .supp import SUPP_PREFIX, derive_supp
from .transforms import derive_standard_results
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
    check_forms(study, raw_dir)  # every form present and readable, every raw column a spec names, before any row
    mapper = _Mapper(study, raw_dir, say)
    return mapper.run()


class _Mapper:
    def __init__(self, study, raw_dir, say):
        self.study, self.raw_dir, self.say = study, raw_dir, say
        self.raw: dict[str, pd.DataFrame] = {}
        self.raw_rows: dict[str, pd.Series] = {}  # rows() of each whole raw form
        self.rec = Reconciler()
        self.cols = study["columns"]
        self.calendar: dict[str, pd.DataFrame] = {}
        self.visit_calendar: pd.DataFrame | None = None  # USUBJID, VISITNUM, VISIT, DATE of every visit row (SV)
        self.se: pd.DataFrame | None = None  # subject elements, when the study has a trial design (EPOCH)
        self.epoch_spans: pd.DataFrame | None = None  # epoch_spans(self.se), computed once
        self.date_cache: dict = {}

    # ------------------------------------------------------------ inputs
    def form(self, name: str) -> pd.DataFrame:
        if name not in self.raw:
            self.say(f"reading {self.study['forms'][name]['file']}")
            used = {c for spec in self.study["domains"].values() for f, c, *_ in spec["_refs"] if f == name}
            df = read_form(self.study, name, self.raw_dir, columns_used=used)
            self.raw[name] = df
            self.rec.register(name, self.rows(name, df), df[self.subj(name)])
        return self.raw[name]

    def file(self, form: str) -> str:
        return str(self.raw_dir / self.study["forms"][form]["file"])

    def subj(self, form: str) -> str:
        return self.study["forms"][form]["subject"]

    def rows(self, form: str, df: pd.DataFrame) -> pd.Series:
        """Record id of each row: the form's record column, else (no column, or blank) the 1-based row number.
        Those of the whole raw form are worked out once."""
        whole = self.raw.get(form) is df
        if whole and form in self.raw_rows:
            return self.raw_rows[form]
        number = pd.Series(df.index + 1, index=df.index).astype("str")
        col = self.study["forms"][form]["record"]
        rec = df[col] if col is not None and col in df.columns else None
        out = number if rec is None else rec.where(rec.ne(""), number)
        if whole:
            self.raw_rows[form] = out
        return out

    def iso(self, form: str, df: pd.DataFrame, col: str) -> pd.Series:
        fmt, pivot = self.study["forms"][form]["dates"].get(col, ("auto", None))
        return derive_iso8601(df[col], file=self.file(form), column=col, rows=self.rows(form, df), fmt=fmt, pivot=pivot)

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
                        "FOLDER": df[self.study["forms"][form]["visit"]].to_numpy(),
                        "DATE": (self.iso(form, df, datecol) if datecol else pd.Series(np.nan, index=df.index))
                        .astype(object)
                        .to_numpy(),
                        "COLUMN": self.study["forms"][form]["visit"],
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
                "SUBJECT": df[self.study["forms"][item["form"]]["subject"]].to_numpy(),
                "RECORDID": rows.to_numpy(),
                "DTC": self.iso(item["form"], df, item["date"]).to_numpy(),
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
        subj = self.subj(form)
        for j in block.get("join") or []:
            frame = self.join(frame, j, domain, subj)
        if block.get("first_per"):
            fp = block["first_per"]
            keys = [subj] + [k for k in fp.get("keys") or [] if k != subj]
            order = frame[keys].copy()
            if fp.get("order"):
                order["_O"] = dtc_to_dt(self.iso(form, frame, fp["order"]))
            order = order.sort_values(keys + (["_O"] if fp.get("order") else []), kind="stable", na_position="last")
            first = ~order.duplicated(keys)
            later = order.index[~first.to_numpy()]
            self.rec.dropped(form, later, f"not the first row per {', '.join(keys)} (first_per)")
            frame = frame.loc[np.sort(order.index[first.to_numpy()])]
        src = frame.index.to_numpy()
        rows = self.rows(form, frame)
        if block.get("long"):
            lg = block["long"]
            rows_raw = rows
            frame, src = derive_long_records(
                frame, key=lg["key"], value=lg["value"], columns=lg["columns"], blank=lg.get("blank", "drop")
            )
            empty = rows_raw.index.difference(pd.Index(np.unique(src)))
            if len(empty):
                self.rec.dropped(form, empty, f"no result in any of {', '.join(lg['columns'].values())} (long)")
            rows = pd.Series(rows_raw.loc[src].to_numpy(), index=frame.index)
        if frame.empty:
            return None
        self.rec.mapped(form, domain, pd.Index(np.unique(src)))
        ctx = Context(
            file=self.file(form),
            rows=rows,
            maps=self.study["maps"],
            dataset=ds,
            form_frame=raw,
            form_rows=self.rows(form, raw),
            date_cache=self.date_cache,
            formats=self.formats(form, block),
            codelists=self.study.get("codelists") or {},
            src=pd.Series(src, index=frame.index) if block.get("long") else None,
        )
        out: dict[str, pd.Series] = {
            "STUDYID": pd.Series(self.study["study"], index=frame.index, dtype="str"),
            "DOMAIN": pd.Series(domain, index=frame.index, dtype="str"),
        }
        out["USUBJID"] = self.usubjid(frame)
        if block.get("long"):
            for c in (block["long"]["key"], block["long"]["value"]):
                out[c] = blank_to_missing(frame[c].astype(object))
        if block.get("visit"):
            cal = self.calendar[form].reindex(src).set_axis(frame.index)
            wanted = block["visit"] if isinstance(block["visit"], list) else ("VISITNUM", "VISIT", "VISITDY")
            for c in wanted:
                if c in ds.names:
                    out[c] = cal[c]
        for var, a in (block.get("variables") or {}).items():
            out[var] = evaluate(a, frame, out, ctx, var)
            self.check_ct(out[var], ds.variable(var), a, ctx, var)
            self.check_numeric(out[var], ds.variable(var), a, ctx, var)
        site = self.study["forms"][form]["site"]
        if domain == "DM" and "SITEID" not in out and site and site in frame.columns:  # the form's site column
            out["SITEID"] = blank_to_missing(frame[site].astype(object))
        for qnam, q in (block.get("supp") or {}).items():
            body = {k: v for k, v in q.items() if k not in ("label", "qorig", "qeval")}
            out[SUPP_PREFIX + qnam] = evaluate(body, frame, out, ctx, qnam)
        res = pd.DataFrame(out)
        res["_FILE"] = ctx.file
        res["_RECORDID"] = ctx.rows
        res["_ORDER"] = bi * 10_000_000_000 + src * 100 + np.arange(len(src)) % 100
        return res

    def formats(self, form: str, block: dict) -> dict:
        """Declared date formats of the block's columns: its form's, and joined forms' for joined columns."""
        out = dict(self.study["forms"][form]["dates"])
        for j in block.get("join") or []:
            cols = j.get("columns") or []
            dates = self.study["forms"][j["form"]]["dates"]
            for new, c in cols.items() if isinstance(cols, dict) else ((c, c) for c in cols):
                if c in dates:
                    out.setdefault(new, dates[c])
        return out

    def join(self, frame: pd.DataFrame, j: dict, domain: str, subj: str) -> pd.DataFrame:
        """One row per subject of another form (first/last by ``order``), its ``columns`` joined on the subject."""
        other = self.form(j["form"])
        osubj = self.subj(j["form"])
        if j.get("where"):
            other = other[condition_mask(j["where"], other, {}, other.index)]
        spec_cols = j.get("columns") or []
        named = spec_cols if isinstance(spec_cols, dict) else {c: c for c in spec_cols}
        named = {new: c for new, c in named.items() if new not in frame.columns and new not in (subj, osubj)}
        sub = pd.DataFrame({osubj: other[osubj], **{new: other[c] for new, c in named.items()}}, index=other.index)
        if j.get("order"):
            key = dtc_to_dt(self.iso(j["form"], other, j["order"]))
            sub = sub.assign(_O=key).sort_values("_O", kind="stable", na_position="last").drop(columns="_O")
        keep = "last" if j.get("pick") == "last" else "first"
        picked = sub[~sub[osubj].duplicated(keep=keep)]
        picked = picked[picked[osubj].isin(frame[subj])]
        self.rec.mapped(j["form"], domain, picked.index)
        return frame.join(picked.set_index(osubj), on=subj)

    def check_ct(self, values: pd.Series, vspec, a, ctx: Context, var: str):
        if vspec is None or not vspec.codelist or values.dtype.kind in "fi":
            return
        try:
            cl = resolve_codelist(vspec.codelist, ctx.codelists)
        except CdiscKitError:  # the standard names a codelist CT does not publish (MedDRA): nothing to check
            return
        if cl.extensible:
            return
        from .ct import check_codelist

        column = None
        if isinstance(a, dict):
            src = a.get("source") or a.get("date")
            column = src[0] if isinstance(src, list) else src
        check_codelist(
            values,
            codelist_name=vspec.codelist,
            file=ctx.file,
            column=column or var,
            rows=ctx.rows,
            what=var,
            study_codelists=ctx.codelists,
        )

    def check_numeric(self, values: pd.Series, vspec, a, ctx: Context, var: str):
        """A Num target (EXDOSE, TRSTRESN) given text that is not a number: InputError at the raw cell."""
        if vspec is None or vspec.type != "Num" or values.dtype.kind in "fiub" or values.isna().all():
            return
        column = None
        if isinstance(a, dict):
            src = a.get("source")
            column = src[0] if isinstance(src, list) else src
        not_number(values, file=ctx.file, rows=ctx.rows, column=column or var, var=var)

    def map_domain(self, spec: dict) -> pd.DataFrame:
        ds = spec["_dataset"]
        self.say(f"mapping {spec['domain']}")
        frames = [
            f for bi, b in enumerate(spec.get("sources") or []) if (f := self.map_block(spec, bi, b, ds)) is not None
        ]
        if not frames:
            return pd.DataFrame(columns=["STUDYID", "DOMAIN", "USUBJID"])
        df = pd.concat(frames, ignore_index=True)
        if spec.get("_units"):
            d = spec["domain"]
            std = derive_standard_results(
                df[f"{d}ORRES"] if f"{d}ORRES" in df else pd.Series(np.nan, index=df.index, dtype=object),
                df[f"{d}ORRESU"] if f"{d}ORRESU" in df else None,
                conversions=spec["_units"]["conversions"],
            )
            for c in std.columns:
                df[d + c] = std[c]
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
        ds = spec["_dataset"]
        df = domains[name]
        ctx = Context(
            file=spec["_file"], rows=None, maps=self.study["maps"], dataset=ds, codelists=self.study["codelists"]
        )
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
            if self.epoch_spans is None:
                self.epoch_spans = epoch_spans(self.se)
            df["EPOCH"] = derive_epoch_from_se(df[t["epoch"]], df["USUBJID"], self.se, self.epoch_spans)
        elif t.get("epoch") and self.study.get("epochs") and t["epoch"] in df.columns:
            df["EPOCH"] = derive_epoch(df[t["epoch"]], per_row, epochs=self.study["epochs"])
        for flag, how in (t.get("last_before_exposure") or {}).items():
            where = condition_mask(how["where"], df, {}, df.index) if how.get("where") else None
            df[flag] = derive_lobxfl(
                df,
                per_row.get(how.get("reference", "RFXSTDTC")),
                date=how["date"],
                by=how.get("by") or [],
                value=how.get("value"),
                where=where,
            )
        return df

    def finalize(self, name: str, spec: dict, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        ds = spec["_dataset"]
        if spec.get("seq"):  # the study's --SEQ order, within subject
            keys = [k for k in ("STUDYID", "USUBJID") if k not in spec["seq"]] + list(spec["seq"]) + ["_ORDER"]
        else:
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
        self.raw.clear()  # every form is mapped (and reconciled): the raw frames are not read again
        self.raw_rows.clear()
        release_memory()
        datasets = {}
        for name, spec in specs.items():
            self.say(f"finishing {name}")
            df = self.timing(name, spec, dm, domains.pop(name))  # the unfinished frame goes once finished
            main, supp = self.finalize(name, spec, df)
            datasets[name] = main
            if not supp.empty:
                datasets["SUPP" + name] = supp
            del df, main, supp
            trim_memory()  # at 10k the finished datasets' garbage would add ~350 MiB to the map's peak
        if self.study.get("design"):
            self.say("trial design datasets")
            datasets.update(design_datasets(self.study, datasets, se=self.se, calendar=self.visit_calendar))
        return SdtmResult(datasets=datasets, reconciliation=self.rec.result(), study=self.study, warnings=warnings)


def derive_lobxfl(
    df: pd.DataFrame,
    rfxstdtc: pd.Series | None,
    *,
    date: str,
    by: list[str],
    value: str | None = None,
    where: pd.Series | None = None,
) -> pd.Series:
    """--LOBXFL / --BLFL: ``Y`` on the last record on or before the reference date (first exposure) per subject
    and ``by`` variables; with ``value``, only records whose result is not missing count; ``where`` (a mask)
    limits the candidates.

    >>> df = pd.DataFrame({"USUBJID": ["A"] * 3, "TRDTC": ["2025-01-01", "2025-01-05", "2025-03-01"],
    ...                    "TRORRES": ["5", None, "7"]})
    >>> derive_lobxfl(df, pd.Series(["2025-01-10"] * 3), date="TRDTC", by=[]).tolist()
    [nan, 'Y', nan]
    >>> derive_lobxfl(df, pd.Series(["2025-01-10"] * 3), date="TRDTC", by=[], value="TRORRES").tolist()
    ['Y', nan, nan]
    """
    out = pd.Series(np.nan, index=df.index, dtype="str")
    if rfxstdtc is None or date not in df.columns:
        return out
    d, ref = dtc_to_dt(df[date]), dtc_to_dt(rfxstdtc)
    elig = d.notna() & ref.notna() & (d <= ref)
    if value is not None:
        v = df[value] if value in df.columns else pd.Series(np.nan, index=df.index)
        elig &= v.notna() & v.astype("str").str.strip().ne("")
    if where is not None:
        elig &= where.to_numpy()
    if not elig.any():
        return out
    keys = ["USUBJID"] + [b for b in by if b in df.columns]
    sub = df.loc[elig, keys].assign(_D=d[elig])
    sub = sub.fillna({k: "" for k in keys}) if keys else sub
    last = sub.sort_values("_D", kind="stable").groupby(keys, dropna=False).tail(1).index
    out.loc[last] = "Y"
    return out


def not_number(values: pd.Series, *, file, rows, column: str, var: str) -> None:
    """InputError naming the first non-blank value of ``values`` that is not a number.

    >>> not_number(pd.Series(["5", "n/a"]), file="ex.csv", rows=pd.Series(["7", "8"]), column="LDDOSE", var="EXDOSE")
    Traceback (most recent call last):
    ...
    cdisckit.errors.InputError: ex.csv, row 8, column LDDOSE: 'n/a' is not a number (EXDOSE is numeric)
    """
    from cdisckit.errors import InputError

    text = values.astype(object)
    filled = text.notna() & text.astype(str).str.strip().ne("")
    bad = filled & pd.to_numeric(text.where(filled), errors="coerce").isna()
    if bad.any():
        i = bad.idxmax()
        raise InputError(
            f"{text.loc[i]!r} is not a number ({var} is numeric)",
            file=file,
            row=rows.loc[i] if rows is not None else None,
            column=column,
        )


def standardise(df: pd.DataFrame, ds) -> pd.DataFrame:
    """Columns in SDTMIG order (Req/Exp always, others only when populated); Num float64, Char pandas ``str``
    (arrow-backed text, missing = NaN) from here to the writers.

    A Num variable holding text that is not a number is an InputError naming the raw file and record
    (``_FILE``/``_RECORDID``, while the frame still has them), never a silent NaN."""
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
            if s.dtype.kind not in "fiub" and "_FILE" in df.columns:
                for file, part in s.groupby(df["_FILE"], sort=False):
                    not_number(part, file=file, rows=df["_RECORDID"], column=v.name, var=v.name)
            out[v.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            out[v.name] = s.astype("str")
    return out.reset_index(drop=True)
