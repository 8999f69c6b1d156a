"""Load and validate a study's mapping folder (``study.yaml`` + one YAML per domain + codelist maps + study
codelists).

Every problem is a :class:`~cdisckit.errors.SpecError` naming the YAML file, line and key: unknown keys,
target variables the SDTM model does not allow in the domain, unknown codelists, map targets outside a
non-extensible codelist, raw columns a form does not have, template fields and USUBJID templates naming no
column, derivations naming a domain or variable the study does not map, study-day and epoch reference dates
DM does not produce. Raw columns are checked against the CSV headers before any row is mapped
(:func:`cdisckit.sdtm.forms.check_forms`, called by ``map_study``). Domain files are validated by :mod:`.spec_domain`.

>>> import pathlib
>>> study = load_study(pathlib.Path(__file__).resolve().parent.parent / "mappings" / "c-car031")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path

from cdisckit.errors import SpecError
from cdisckit.specio import LineDict, line_of, load_yaml, spec_error
from cdisckit.standards import codelist

from .derive_dates import format_problem
from .same_facts import validate_same_facts
from .spec_domain import PLACEHOLDER, _check_keys, check_cross_references, template_names, validate_domain
from .spec_maps import validate_maps
from .study_codelists import load_study_codelists

__all__ = ["PLACEHOLDER", "load_study", "check_columns_against_header", "validate_maps"]

STUDY_KEYS = {
    "study",
    "description",
    "raw",
    "usubjid",
    "columns",
    "forms",
    "domains",
    "ct_maps",
    "codelists",
    "visits",
    "epochs",
    "study_day_reference",
    "design",
    "data_cutoff",
    "same_facts",
    "reviewers_guide",
    "accepted_findings",
}
COLUMN_KEYS = {"subject", "site", "record", "folder"}
FORM_KEYS = {"file", "columns", "description", "encoding", "subject", "site", "record", "visit", "dates"}
VISIT_KEYS = {"forms", "schedule", "unscheduled"}
VISIT_FORM_KEYS = {"date", "visit"}
SCHEDULE_KEYS = {"folder", "visit", "visitnum", "visitdy"}
UNSCHED_KEYS = {"folder", "visit", "step", "match"}
EPOCH_KEYS = {"epoch", "start", "offset_days"}


# ------------------------------------------------------------------ study.yaml
def _load_mapping(path: Path, what: str, *, allow_empty: bool = False) -> LineDict:
    """A spec file whose document must be a mapping of keys: an empty file or a list is a SpecError naming it
    (``allow_empty``: an empty file is an empty mapping)."""
    doc = load_yaml(path, what)
    if doc is None and allow_empty:
        doc = LineDict()
        doc.lines, doc.file, doc.line = {}, str(path), 1
    if doc is None:
        raise SpecError(f"the {what} is empty: expected a YAML mapping of keys", file=str(path), line=1)
    if not isinstance(doc, LineDict):
        kind = "a list" if isinstance(doc, list) else f"a single value ({type(doc).__name__})"
        raise SpecError(
            f"the {what} holds {kind}; expected a YAML mapping of keys", file=str(path), line=line_of(doc) or 1
        )
    return doc


def _check_encoding(form: dict, pk: str) -> None:
    import codecs

    try:
        codecs.lookup(str(form["encoding"]))
    except LookupError:
        raise spec_error(
            f"unknown encoding {form['encoding']!r} (e.g. utf-8, cp1252, latin-1)", form, "encoding", pk
        ) from None


def load_study(study_dir: Path) -> dict:
    """Read and validate ``study.yaml``, the domain YAMLs it lists, the codelist maps and the study codelists.

    Returns ``{"dir", "file", "study", "raw", "usubjid", "columns", "forms", "visits", "epochs",
    "domains": {"DM": spec, ...}, "maps": {...}, "codelists": {name: Codelist}, "config": <study.yaml dict>}``.
    ``forms[name]`` has ``file``, ``columns`` (declared or None), ``subject``, ``site``, ``record`` (None: rows
    are numbered), ``visit`` and ``dates`` (``{column: (format, pivot)}``).
    """
    study_dir = Path(study_dir)
    path = study_dir / "study.yaml"
    doc = _load_mapping(path, "study file")
    _check_keys(doc, STUDY_KEYS, "study.yaml")
    for req in ("study", "forms", "domains"):
        if req not in doc:
            raise SpecError(f"required key {req!r} missing", file=str(path), line=1, key=req)
    columns = {"subject": "SUBJECT", "site": "SITEID", "record": "RECORDID", "folder": "FOLDER"}
    if "columns" in doc:
        _check_keys(doc["columns"], COLUMN_KEYS, "columns", "columns")
        columns.update(doc["columns"])
    if not isinstance(doc["forms"], dict) or not doc["forms"]:
        raise spec_error("forms must map form names to {file: ..., columns: [...]}", doc, "forms", "forms")
    forms = {name: _validate_form(name, f, doc["forms"], columns) for name, f in doc["forms"].items()}
    codelists = load_study_codelists(study_dir, doc)
    maps = {}
    if doc.get("ct_maps"):
        for mfile in doc["ct_maps"] if isinstance(doc["ct_maps"], list) else [doc["ct_maps"]]:
            mpath = study_dir / mfile
            if not mpath.exists():
                raise spec_error(f"codelist map file {mfile} not found", doc, "ct_maps", "ct_maps")
            maps.update(validate_maps(_load_mapping(mpath, "codelist map file", allow_empty=True), mpath, codelists))
    visits = _validate_visits(doc.get("visits"), forms)
    epochs = _validate_epochs(doc.get("epochs"))
    usubjid = doc.get("usubjid", "{STUDYID}-{SUBJECT}")
    if not isinstance(usubjid, str) or not usubjid.strip():
        raise spec_error("usubjid is a text template such as '{STUDYID}-{SUBJECT}'", doc, "usubjid", "usubjid")
    template_names(usubjid, doc, "usubjid", "usubjid")  # malformed fields are SpecErrors now
    design = _load_design_file(doc, study_dir, epochs)
    same_facts = validate_same_facts(doc.get("same_facts"), forms)
    study = {
        "dir": study_dir,
        "file": str(path),
        "study": str(doc["study"]),
        "raw": doc.get("raw"),
        "usubjid": usubjid,
        "columns": columns,
        "forms": forms,
        "visits": visits,
        "epochs": epochs,
        "maps": maps,
        "codelists": codelists,
        "study_day_reference": doc.get("study_day_reference", "RFSTDTC"),
        "design": design,
        "data_cutoff": _data_cutoff(doc),
        "same_facts": same_facts,
        "reviewers_guide": _guide_file(doc, study_dir),
        "accepted_findings": _accepted_findings(doc),
        "config": doc,
        "domains": {},
    }
    if not isinstance(doc["domains"], list) or not doc["domains"]:
        raise spec_error("domains lists the domain mapping files (dm.yaml, ae.yaml, ...)", doc, "domains", "domains")
    for i, dfile in enumerate(doc["domains"]):
        dpath = study_dir / str(dfile)
        if not dpath.exists():
            raise SpecError(
                f"domain mapping file {dfile} not found",
                file=str(path),
                line=line_of(doc["domains"]),
                key=f"domains[{i}]",
            )
        spec = validate_domain(_load_mapping(dpath, "domain mapping file"), study)
        if spec["domain"] in study["domains"]:
            raise SpecError(
                f"domain {spec['domain']} is mapped by two files", file=str(path), line=line_of(doc["domains"])
            )
        study["domains"][spec["domain"]] = spec
    check_cross_references(study)
    return study


def _load_design_file(doc, study_dir: Path, epochs):
    """The trial design file named by ``design:`` (validated by :mod:`cdisckit.sdtm.design`), or None."""
    if not doc.get("design"):
        return None
    if epochs:
        raise spec_error(
            "give either epochs: or design: (with a design, EPOCH comes from the subject elements)",
            doc,
            "epochs",
            "epochs",
        )
    path = study_dir / str(doc["design"])
    if not path.is_file():
        raise spec_error(f"trial design file {doc['design']} not found", doc, "design", "design")
    from .design import load_design

    return load_design(path)


def _data_cutoff(doc) -> str | None:
    value = doc.get("data_cutoff")
    if value is None:
        return None
    text = str(value)
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        raise spec_error(f"data_cutoff must be an ISO 8601 date (YYYY-MM-DD), got {text!r}", doc, "data_cutoff")
    return text


def _accepted_findings(doc) -> list[dict]:
    """``accepted_findings: [{rule: CG0082, dataset: AE, reason: ...}]``: conformance errors the study knows of and
    explains (data as collected); they are still reported, in the cSDRG with the reason, but do not block output.
    ``rule`` is a cdisckit rule id or a CDISC/FDA/CORE id the rule cites; ``dataset`` (optional) limits it."""
    items = doc.get("accepted_findings")
    if items is None:
        return []
    if not isinstance(items, list):
        raise spec_error("accepted_findings lists {rule, dataset, reason}", doc, "accepted_findings")
    out = []
    for i, a in enumerate(items):
        pk = f"accepted_findings[{i}]"
        _check_keys(a, {"rule", "dataset", "reason"}, "accepted finding", pk)
        for key in ("rule", "reason"):
            if not isinstance(a.get(key), str) or not a[key].strip():
                raise spec_error(f"an accepted finding needs {key}: (text)", a, key if key in a else None, pk)
        if a.get("dataset") is not None and not isinstance(a["dataset"], str):
            raise spec_error("dataset names one dataset (e.g. AE)", a, "dataset", f"{pk}.dataset")
        out.append(
            {"rule": a["rule"].strip(), "dataset": (a.get("dataset") or "").upper() or None, "reason": a["reason"]}
        )
    return out


def _guide_file(doc, study_dir: Path) -> Path | None:
    if not doc.get("reviewers_guide"):
        return None
    path = study_dir / str(doc["reviewers_guide"])
    if not path.is_file():
        raise spec_error(f"reviewer's guide file {doc['reviewers_guide']} not found", doc, "reviewers_guide")
    return path


def _validate_form(name, f, parent, columns) -> dict:
    f = {"file": f} if isinstance(f, str) else f
    _check_keys(f, FORM_KEYS, f"form {name}", f"forms.{name}")
    if f.get("columns") is not None and not isinstance(f["columns"], list):
        raise spec_error("columns lists the raw column names", f, "columns", f"forms.{name}.columns")
    dates = {}
    for col, how in (f.get("dates") or {}).items():
        fmt, pivot = (how.get("format"), how.get("pivot")) if isinstance(how, dict) else (how, None)
        if isinstance(how, dict):
            _check_keys(how, {"format", "pivot"}, "date format", f"forms.{name}.dates.{col}")
        problem = format_problem(fmt, pivot)
        if problem:
            raise spec_error(problem, f["dates"], col, f"forms.{name}.dates.{col}")
        dates[col] = (fmt, pivot)
    if f.get("encoding") is not None:
        _check_encoding(f, f"forms.{name}.encoding")
    record = f["record"] if "record" in f else columns["record"]
    out = {
        "file": f.get("file", f"{name}.csv"),
        "columns": [str(c) for c in f["columns"]] if f.get("columns") else None,
        "subject": f.get("subject", columns["subject"]),
        "site": f.get("site", columns.get("site")),
        "record": record,
        "visit": f.get("visit", columns["folder"]),
        "dates": dates,
        "encoding": f.get("encoding"),
        "_yaml": f if isinstance(f, dict) and hasattr(f, "lines") else parent,
    }
    for role in ("subject", "record", "visit", "site"):
        if out[role] is not None and not isinstance(out[role], str):
            raise spec_error(f"{role} names one raw column (or null)", f, role, f"forms.{name}.{role}")
    if out["subject"] is None:
        raise spec_error("every form needs a subject column", f, "subject", f"forms.{name}.subject")
    for c in out["dates"] or {}:
        _declared(out, c, f["dates"], c, f"forms.{name}.dates.{c}", name)
    return out


def _validate_visits(v, forms):
    if v is None:
        return None
    _check_keys(v, VISIT_KEYS, "visits", "visits")
    vforms = {}
    for form, how in (v.get("forms") or {}).items():
        if form not in forms:
            raise spec_error(f"unknown form {form!r}", v["forms"], form, f"visits.forms.{form}")
        how = {"date": how} if isinstance(how, str) else how
        _check_keys(how, VISIT_FORM_KEYS, f"visit form {form}", f"visits.forms.{form}")
        if how.get("visit"):
            forms[form]["visit"] = how["visit"]
        _declared(forms[form], how.get("date"), v["forms"], form, f"visits.forms.{form}", form)
        _declared(forms[form], forms[form]["visit"], v["forms"], form, f"visits.forms.{form}", form)
        vforms[form] = how.get("date")
    nums = set()
    for i, s in enumerate(v.get("schedule") or []):
        _check_keys(s, SCHEDULE_KEYS, "visit", f"visits.schedule[{i}]")
        for req in ("folder", "visitnum"):
            if req not in s:
                raise spec_error(f"visit needs {req!r}", s, None, f"visits.schedule[{i}]")
        if s["visitnum"] in nums:
            raise spec_error("duplicate visitnum", s, "visitnum", f"visits.schedule[{i}].visitnum")
        nums.add(s["visitnum"])
    u = v.get("unscheduled")
    if u:
        _check_keys(u, UNSCHED_KEYS, "unscheduled", "visits.unscheduled")
        if u.get("match"):
            import re

            try:
                groups = re.compile(str(u["match"]), re.IGNORECASE).groups
            except re.error as exc:
                raise spec_error(f"not a regular expression: {exc}", u, "match", "visits.unscheduled.match") from None
            if groups != 1:
                raise spec_error(
                    "match needs exactly one (group) holding the VISITNUM, e.g. '^Unscheduled (\\d+(?:\\.\\d+)?)$'",
                    u,
                    "match",
                    "visits.unscheduled.match",
                )
            if "step" in u or "folder" in u:
                raise spec_error(
                    "unscheduled takes either match: (VISITNUM from the visit name) or folder:/step: (numbered "
                    "by date)",
                    u,
                    "match",
                    "visits.unscheduled",
                )
    return {**v, "forms": vforms}


def _validate_epochs(e):
    if e is None:
        return None
    ct = codelist("EPOCH")
    for i, item in enumerate(e):
        _check_keys(item, EPOCH_KEYS, "epoch", f"epochs[{i}]")
        if "epoch" not in item:
            raise spec_error("epoch needs 'epoch'", item, None, f"epochs[{i}]")
        if item["epoch"] not in ct.values and not ct.extensible:
            raise spec_error(f"{item['epoch']!r} not in codelist EPOCH", item, "epoch", f"epochs[{i}].epoch")
    return e


def _declared(form: dict, col, obj, key, path_key, form_name):
    """Raise SpecError when ``col`` is not among the form's declared columns (if it declares them)."""
    if col is not None and form["columns"] is not None and col not in form["columns"]:
        raise spec_error(
            f"unknown raw column {col!r} (form {form_name} has {', '.join(form['columns'])})", obj, key, path_key
        )


# ------------------------------------------------------------------ raw headers
def form_references(study: dict, form: str) -> list[tuple]:
    """Every (form, column, yaml-obj, key, key-path) the study's specs use in ``form``."""
    refs = [r for spec in study["domains"].values() for r in spec["_refs"] if r[0] == form]
    return refs + [r for r in study.get("_study_refs", []) if r[0] == form]


def check_columns_against_header(study: dict, form: str, header: list[str]):
    """SpecError for spec references to columns the header of ``form`` lacks (file, line and key of the YAML)."""
    for _form, col, obj, key, pk in form_references(study, form):
        if col not in header:
            raise spec_error(
                f"unknown raw column {col!r}: not in the header of {study['forms'][form]['file']} "
                f"(it has {', '.join(header[:30])}{', ...' if len(header) > 30 else ''})",
                obj,
                key,
                pk,
            )
