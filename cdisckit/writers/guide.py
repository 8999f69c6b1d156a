"""Reviewer's guides drafted from metadata: ``csdrg.html`` (SDTM) and ``adrg.html`` (ADaM), in the section layout
of the PHUSE Clinical Study Data Reviewer's Guide and Analysis Data Reviewer's Guide templates.

Everything comes from what the run already knows: the study description from TS, the trial design from TA/TE/TV/
TI, the datasets with their class, structure and keys from specs/, the dictionaries and their versions from the
design file, the conformance findings of the run with the sponsor's explanation of each (study facts in the
study's ``reviewers_guide:`` YAML, keyed by rule id), the reconciliation of raw records, and how the data were
produced (tool version, every spec file with its SHA-256). One self-contained HTML page each, no scripts; the same
inputs give the same bytes.

>>> doc = load_guide_text("explanations: {KEYS-UNIQUE: Two events share a partial date.}\\n", "guide.yaml")
>>> doc["explanations"]["KEYS-UNIQUE"]
'Two events share a partial date.'
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import pandas as pd

from .. import __version__
from ..errors import SpecError
from ..io import staged_file
from ..specio import load_yaml, load_yaml_text, spec_error
from ..standards import CT_VERSION, dataset_spec

GUIDE_KEYS = {
    "acronyms",
    "protocol",
    "trial_design_notes",
    "domains",
    "explanations",
    "external_findings",
    "define_comments",
    "adam",
}
EXTERNAL_KEYS = {"validator", "rule", "ids", "datasets", "message", "count", "explanation"}
ADAM_KEYS = {"design", "core_variables", "treatment_variables", "windows", "imputation", "dependencies", "datasets",
             "programs"}  # fmt: skip

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;color:#222;margin:0 auto;
max-width:1100px;padding:0 24px 48px;line-height:1.45}
h1{font-size:24px;border-bottom:2px solid #345;padding-bottom:6px}h2{font-size:19px;margin-top:34px;
border-bottom:1px solid #bbb}h3{font-size:15px;margin-top:22px}
table{border-collapse:collapse;margin:8px 0 14px;font-size:12.5px;width:100%}th,td{border:1px solid #ccc;
padding:3px 7px;text-align:left;vertical-align:top}th{background:#eef2f6}td.num{text-align:right}
.note{color:#555;font-size:12.5px}.missing{color:#8a4b00;font-style:italic}code{background:#f3f3f3;padding:0 3px}
nav ol{columns:2}
"""


# ---------------------------------------------------------------- the guide YAML
def _validate(doc, fname: str) -> dict:
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise SpecError("the reviewer's guide file must be a YAML mapping", file=fname, line=1)
    for k in doc:
        if k not in GUIDE_KEYS:
            raise spec_error(f"unknown key {k!r} (allowed: {', '.join(sorted(GUIDE_KEYS))})", doc, k)
    for k in ("acronyms", "trial_design_notes", "domains", "explanations", "protocol", "define_comments"):
        if k in doc and not isinstance(doc[k], dict):
            raise spec_error(f"{k} must be a mapping", doc, k)
    for rule, text in (doc.get("explanations") or {}).items():
        if not isinstance(text, str) or not text.strip():
            raise spec_error("an explanation is a non-empty text", doc["explanations"], rule, f"explanations.{rule}")
    for i, f in enumerate(doc.get("external_findings") or []):
        if not isinstance(f, dict) or set(f) - EXTERNAL_KEYS or not {"validator", "rule"} <= set(f):
            raise spec_error(
                f"an external finding has validator, rule and optionally {', '.join(sorted(EXTERNAL_KEYS - {'validator', 'rule'}))}",
                f,
                None,
                f"external_findings[{i}]",
            )
    for ref in doc.get("define_comments") or {}:
        if not isinstance(ref, str) or ref.count(".") != 1:
            raise spec_error("define_comments keys are DATASET.VARIABLE", doc["define_comments"], ref)
    adam = doc.get("adam") or {}
    for k in adam:
        if k not in ADAM_KEYS:
            raise spec_error(
                f"unknown key {k!r} in adam (allowed: {', '.join(sorted(ADAM_KEYS))})", adam, k, f"adam.{k}"
            )
    return dict(doc)


def load_guide(path: Path | None) -> dict:
    """The study's reviewer's guide YAML, validated (SpecError with file, line and key); {} when there is none."""
    if path is None:
        return {}
    return _validate(load_yaml(Path(path), "reviewer's guide file"), str(path))


def load_guide_text(text: str, fname: str) -> dict:
    return _validate(load_yaml_text(text, fname), fname)


# ---------------------------------------------------------------- HTML helpers
def esc(x) -> str:
    return html.escape("" if x is None or (isinstance(x, float) and pd.isna(x)) else str(x))


def _table(header: list[str], rows: list[list], num: set[int] | None = None) -> str:
    num = num or set()
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in num else ''}>{esc(c)}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _frame(df: pd.DataFrame, columns: list[str]) -> str:
    cols = [c for c in columns if c in df.columns]
    rows = [[_fmt(v) for v in r] for r in df[cols].itertuples(index=False)]
    return _table(cols, rows)


def _fmt(v):
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v


def _para(text) -> str:
    return "".join(f"<p>{esc(p.strip())}</p>" for p in str(text).split("\n\n") if p.strip()) if text else ""


def _missing(what: str) -> str:
    return f'<p class="missing">{esc(what)}</p>'


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _ts(datasets: dict) -> dict[str, list[str]]:
    """TSPARMCD -> values (a null flavor in parentheses), in TS order."""
    ts = datasets.get("TS")
    if ts is None or ts.empty:
        return {}
    out: dict[str, list[str]] = {}
    for r in ts.itertuples(index=False):
        value = r.TSVAL if isinstance(r.TSVAL, str) else f"({getattr(r, 'TSVALNF', '') or 'no value'})"
        out.setdefault(r.TSPARMCD, []).append(value)
    return out


def study_description(ts: dict[str, list[str]]) -> str:
    """A one-paragraph description of the study from its trial summary parameters.

    >>> study_description({"TPHASE": ["PHASE I TRIAL"], "TBLIND": ["OPEN LABEL"], "TRT": ["Drug A"],
    ...                    "INDIC": ["Gout"], "ACTSUB": ["12"], "PLANSUB": ["20"]})
    'PHASE I TRIAL, open label study of Drug A in Gout. 12 subjects enrolled (20 planned).'
    """

    def one(code: str) -> str:
        return "; ".join(v for v in ts.get(code, []) if not v.startswith("("))

    design = ", ".join(x for x in (one("TPHASE"), one("TBLIND").lower(), one("INTMODEL").lower()) if x)
    text = f"{design} study" if design else "Study"
    if one("TRT"):
        text += f" of {one('TRT')}"
    if one("INDIC"):
        text += f" in {one('INDIC')}"
    text += "."
    if one("NARMS"):
        text += f" {one('NARMS')} arms."
    if one("ACTSUB"):
        text += f" {one('ACTSUB')} subjects enrolled" + (f" ({one('PLANSUB')} planned)" if one("PLANSUB") else "") + "."
    if one("FCNTRY"):
        text += f" Sites in {one('FCNTRY').replace(';', ',')}."
    if one("SSTDTC"):
        text += f" Study start {one('SSTDTC')}" + (f", data cut-off {one('DCUTDTC')}" if one("DCUTDTC") else "") + "."
    return text


def _page(title: str, sections: list[tuple[str, str]]) -> str:
    nav = "".join(f'<li><a href="#s{i}">{esc(h)}</a></li>' for i, (h, _) in enumerate(sections, 1))
    body = "".join(f'<h2 id="s{i}">{i}. {esc(h)}</h2>{content}' for i, (h, content) in enumerate(sections, 1))
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{esc(title)}</h1><nav><ol>{nav}</ol></nav>{body}"
        f'<p class="note">Drafted by cdisckit {esc(__version__)} from the metadata of this run.</p></body></html>\n'
    )


# ---------------------------------------------------------------- shared sections
def _standards_table(kind: str, dictionaries: dict) -> str:
    rows = [
        ["SDTM" if kind == "sdtm" else "ADaM", "SDTMIG 3.4 (SDTM v2.0)" if kind == "sdtm" else "ADaMIG 1.3"],
        ["Controlled Terminology", f"CDISC {'SDTM' if kind == 'sdtm' else 'SDTM and ADaM'} CT {CT_VERSION}"],
        ["Data Definitions", "Define-XML 2.1"],
    ]
    for name, d in dictionaries.items():
        note = f" ({d['note']})" if d.get("note") else ""
        rows.append([name, f"{d.get('version', '')}{note}"])
    return _table(["Standard or Dictionary", "Versions Used"], rows)


def _datasets_table(datasets: dict, notes: dict) -> str:
    rows = []
    for name in sorted(datasets):
        try:
            spec = dataset_spec(name)
            cls, keys, label = spec.class_, ", ".join(k for k in spec.keys if k in datasets[name].columns), spec.label
        except Exception:  # a dataset without specs (should not happen for datasets cdisckit writes)
            cls, keys, label = "", "", name
        rows.append([name, label, cls, keys, len(datasets[name]), "yes" if name in notes else ""])
    return _table(["Dataset", "Label", "Class", "Key variables", "Records", "Notes below"], rows, {4})


def _finding_ids(f: dict) -> list[str]:
    """The rule id of a finding and any other rule ids it cites (CDISC CG, FDA, CORE: ``refs`` of the checks).

    >>> _finding_ids({"rule_id": "EPOCH-MISSING", "refs": ["FB2201", "CORE-000701"]})
    ['EPOCH-MISSING', 'FB2201', 'CORE-000701']
    """
    ids = [str(f.get("rule_id"))]
    for k, v in f.items():
        if k != "rule_id" and (k == "refs" or k.lower().endswith(("_id", "_ids", "ids"))) and v:
            ids += [str(x) for x in (v if isinstance(v, list) else [v])]
    return ids


def _conformance(report_dict: dict | None, guide: dict, validator: str) -> str:
    explanations = guide.get("explanations") or {}
    out = [
        "<h3>Conformance inputs</h3>",
        _table(
            ["Validator", "Version", "Rules"],
            [[validator, __version__, "cdisckit conformance rules generated from specs/ (SDTMIG/ADaMIG, CT, XPT v5)"]],
        ),
        "<h3>Issues summary</h3>",
    ]
    findings = (report_dict or {}).get("findings") or []
    if not findings:
        out.append("<p>The checks of this run reported no findings.</p>")
    rows = []
    for f in findings:
        ids = _finding_ids(f)
        keys = [f"{i}/{f.get('dataset')}.{f.get('variable')}" for i in ids] + [f"{i}/{f.get('dataset')}" for i in ids]
        why = next((explanations[k] for k in keys + ids if k in explanations), None)
        rows.append(
            [", ".join(dict.fromkeys(ids)), f.get("dataset"), f.get("variable") or "", f.get("severity"),
             f.get("n_rows"), f.get("message"), why or "NO EXPLANATION GIVEN (add one under explanations:)"]
        )  # fmt: skip
    if rows:
        out.append(
            _table(["Rule", "Dataset", "Variable", "Severity", "Records", "Message", "Sponsor explanation"], rows, {4})
        )
    ext = guide.get("external_findings") or []
    if ext:
        out.append("<h3>Additional conformance details</h3>")
        out.append("<p>Findings of other validators run on the same datasets, with the sponsor's explanation.</p>")
        out.append(
            _table(
                ["Validator", "Rule", "Cites", "Datasets", "Message", "Records", "Sponsor explanation"],
                [
                    [
                        e["validator"],
                        e["rule"],
                        ", ".join(e.get("ids") or []),
                        ", ".join(e.get("datasets") or []),
                        e.get("message", ""),
                        e.get("count", ""),
                        e.get("explanation")
                        or next(
                            (explanations[i] for i in [e["rule"], *(e.get("ids") or [])] if i in explanations), None
                        )
                        or "NO EXPLANATION GIVEN",
                    ]
                    for e in ext
                ],
            )
        )
    return "".join(out)


def _provenance(files: list[Path], extra: list[list[str]] | None = None) -> str:
    rows = [[Path(p).name, str(Path(p).stat().st_size), sha256(p)] for p in files if Path(p).is_file()]
    return (
        f"<p>Produced by cdisckit {esc(__version__)} (Python; <code>cdisckit run</code>). Every input file and its "
        "SHA-256:</p>" + _table(["File", "Bytes", "SHA-256"], rows + (extra or []), {1})
    )


# ---------------------------------------------------------------- cSDRG
def build_csdrg(
    datasets: dict[str, pd.DataFrame],
    *,
    study: dict,
    guide: dict,
    report: dict | None,
    reconciliation: dict | None = None,
    warnings: list[dict] | None = None,
    spec_files: list[Path] | None = None,
    raw_files: list[Path] | None = None,
) -> str:
    """The cSDRG as HTML text (see the module docstring)."""
    design = study.get("design") or {}
    ts = _ts(datasets)
    sid = study.get("study", "")
    title = (ts.get("TITLE") or [study.get("description", "")])[0]
    acronyms = guide.get("acronyms") or {}
    protocol = guide.get("protocol") or {}
    notes = guide.get("domains") or {}
    td_notes = guide.get("trial_design_notes") or {}
    intro = (
        "<h3>Purpose</h3><p>This document provides context for the tabulation datasets and terminology that benefit "
        "from explanation beyond the Data Definitions document (define.xml), and summarises the SDTM conformance "
        "findings.</p>"
        + ("<h3>Acronyms</h3>" + _table(["Acronym", "Translation"], [[k, v] for k, v in acronyms.items()]) if acronyms else "")
        + "<h3>Study Data Standards and Dictionary Inventory</h3>"
        + _standards_table("sdtm", design.get("dictionaries") or {})
    )  # fmt: skip
    names = {}
    if "TS" in datasets and not datasets["TS"].empty:
        names = dict(zip(datasets["TS"]["TSPARMCD"], datasets["TS"]["TSPARM"]))
    summary_rows = [[k, names.get(k, ""), "; ".join(v)] for k, v in ts.items()]
    proto = (
        f"<h3>Protocol Number and Title</h3><p>Protocol number: <b>{esc(sid)}</b><br>Title: {esc(title)}</p>"
        + (f"<p>{esc(study_description(ts))}</p>" if ts else "")
        + _para(protocol.get("versions"))
        + "<h3>Protocol Design</h3>"
        + (_para(protocol.get("design")) or _missing("No design text under protocol.design in the guide file."))
        + "<h3>Trial Design Datasets</h3>"
    )
    for name, cols in (
        ("TA", ["ARMCD", "ARM", "TAETORD", "ETCD", "ELEMENT", "TABRANCH", "EPOCH"]),
        ("TE", ["ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR"]),
        ("TV", ["VISITNUM", "VISIT", "VISITDY", "ARMCD", "TVSTRL"]),
        ("TI", ["IETESTCD", "IECAT", "IETEST"]),
    ):
        if name in datasets:
            proto += f"<h3>{name} &#8211; {esc(dataset_spec(name).label)}</h3>" + _para(td_notes.get(name))
            proto += _frame(datasets[name], cols)
    if summary_rows:
        proto += "<h3>TS &#8211; Trial Summary</h3>" + _para(td_notes.get("TS"))
        proto += _table(["TSPARMCD", "Parameter", "Value(s)"], summary_rows)
    subj = "<h3>Overview</h3>" + _datasets_table(
        {k: v for k, v in datasets.items() if k not in ("TA", "TE", "TV", "TI", "TS")}, notes
    )
    subj += "<h3>Annotated CRFs</h3><p>The raw export's forms and columns are documented with the mapping specs " \
            "(their files and checksums are listed in the last section).</p>"  # fmt: skip
    for name in sorted(notes):
        if name in datasets:
            subj += f"<h3>{esc(name)} &#8211; {esc(dataset_spec(name).label)}</h3>" + _para(notes[name])
    recon = _reconciliation(reconciliation, warnings)
    sections = [
        ("Introduction", intro),
        ("Protocol Description", proto),
        ("Subject Data Description", subj),
        ("Data Conformance Summary", _conformance(report, guide, "cdisckit check (SDTM)")),
        ("Raw Data Reconciliation", recon),
        ("How the Data Were Produced", _provenance(list(spec_files or []) + list(raw_files or []))),
    ]
    return _page(f"{sid} Clinical Study Data Reviewer's Guide", sections)


def _reconciliation(recon: dict | None, warnings: list[dict] | None) -> str:
    if not recon:
        return _missing("No reconciliation available.")
    forms = recon.get("forms")
    out = "<p>Every raw record is either mapped to a domain or listed here with the reason.</p>"
    if isinstance(forms, pd.DataFrame) and not forms.empty:
        out += _frame(forms, ["form", "rows_read", "rows_mapped", "rows_unmapped"])
    unmapped = recon.get("unmapped")
    if isinstance(unmapped, pd.DataFrame) and not unmapped.empty:
        out += "<h3>Raw records not mapped</h3>" + _frame(unmapped, ["form", "RECORDID", "SUBJECT", "reason"])
    if warnings:
        out += "<h3>The same fact on two forms</h3><p>Values of one fact that two forms record differently (queried " \
               "with the sites; the SDTM value taken is explained in define.xml).</p>"  # fmt: skip
        out += _table(
            ["Fact", "Subject", "Kind", "Forms"],
            [
                [w["fact"], w["subject"], w["kind"],
                 "; ".join(f"{Path(f['file']).name} row {f['row']} {f['column']} = {f['value']}" for f in w["forms"])]
                for w in warnings
            ],
        )  # fmt: skip
    return out


# ---------------------------------------------------------------- ADRG
def build_adrg(
    adam: dict[str, pd.DataFrame],
    *,
    sdtm: dict[str, pd.DataFrame],
    guide: dict,
    report: dict | None,
    dictionaries: dict | None = None,
    spec_files: list[Path] | None = None,
    study_id: str = "",
) -> str:
    """The ADRG as HTML text: standards, protocol design in ADaM terms, analysis considerations, datasets with
    their parameters, conformance findings with explanations, and how the datasets were produced."""
    ts = _ts(sdtm)
    a = guide.get("adam") or {}
    title = (ts.get("TITLE") or [""])[0]
    intro = (
        "<h3>Purpose</h3><p>This document provides context for the analysis datasets and terminology that benefit "
        "from explanation beyond define.xml, and summarises the ADaM conformance findings.</p>"
        "<h3>Study Data Standards and Dictionary Inventory</h3>" + _standards_table("adam", dictionaries or {})
        + "<h3>Source Data Used for Analysis Dataset Creation</h3><p>The SDTM datasets of this run: "
        + esc(", ".join(sorted(sdtm))) + ".</p>"
    )  # fmt: skip
    proto = f"<h3>Protocol Number and Title</h3><p>Protocol number: <b>{esc(study_id)}</b><br>Title: {esc(title)}</p>"
    proto += "<h3>Protocol Design in Relation to ADaM Concepts</h3>" + (
        _para(a.get("design")) or _missing("No text under adam.design in the guide file.")
    )
    considerations = ""
    for key, head in (
        ("core_variables", "Core Variables"),
        ("treatment_variables", "Treatment Variables"),
        ("windows", "Use of Visit Windowing, Unscheduled Visits, and Record Selection"),
        ("imputation", "Imputation/Derivation Methods"),
    ):
        considerations += f"<h3>{head}</h3>" + (_para(a.get(key)) or _missing(f"No text under adam.{key}."))
    creation = "<h3>Data Dependencies</h3>" + (
        _para(a.get("dependencies")) or "<p>ADSL is derived first; every other analysis dataset uses ADSL.</p>"
    )
    desc = "<h3>Overview</h3>" + _datasets_table(adam, a.get("datasets") or {})
    for name in sorted(adam):
        df = adam[name]
        desc += f"<h3>{esc(name)}</h3>" + _para((a.get("datasets") or {}).get(name))
        try:
            desc += f"<p>Structure: {esc(dataset_spec(name).structure)}.</p>" if dataset_spec(name).structure else ""
        except Exception:  # a dataset without a declaration
            pass
        if "PARAMCD" in df.columns:
            params = df[[c for c in ("PARAMCD", "PARAM") if c in df.columns]].drop_duplicates().sort_values("PARAMCD")
            desc += _frame(params, ["PARAMCD", "PARAM"])
    sections = [
        ("Introduction", intro),
        ("Protocol Description", proto),
        ("Analysis Considerations Related to Multiple Analysis Datasets", considerations),
        ("Analysis Data Creation and Processing Issues", creation),
        ("Analysis Dataset Descriptions", desc),
        ("Data Conformance Summary", _conformance(report, guide, "cdisckit check (ADaM)")),
        (
            "Submission of Programs",
            (
                _para(a.get("programs"))
                or "<p>The datasets were produced by cdisckit from declarative specs; no study programs exist.</p>"
            )
            + _provenance(list(spec_files or [])),
        ),
    ]
    return _page(f"{study_id} Analysis Data Reviewer's Guide", sections)


def study_spec_files(study: dict) -> list[Path]:
    """Every spec file of a study folder the run read: study.yaml, the domain YAMLs, the codelist maps, the design
    and reviewer's guide files."""
    files = [Path(study["file"])] + [Path(s["_file"]) for s in study.get("domains", {}).values()]
    maps = (study.get("config") or {}).get("ct_maps")
    for m in maps if isinstance(maps, list) else ([maps] if maps else []):
        files.append(Path(study["dir"]) / m)
    if study.get("design"):
        files.append(Path(study["design"]["file"]))
    if study.get("reviewers_guide"):
        files.append(Path(study["reviewers_guide"]))
    return list(dict.fromkeys(files))


def write_guide(text: str, path: Path) -> Path:
    path = Path(path)
    with staged_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
