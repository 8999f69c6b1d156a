"""Load and validate a study's mapping folder (``study.yaml`` + one YAML per domain + codelist maps).

Every problem is a :class:`~cdisckit.errors.SpecError` naming the YAML file, line and key: unknown keys,
unknown target variables (not in SDTMIG 3.4 for the domain), unknown codelists, map targets outside a
non-extensible codelist, raw columns a form does not declare. Raw columns of forms that declare no
``columns`` are checked against the CSV header when the form is read (:func:`check_columns_against_header`).

>>> import pathlib
>>> study = load_study(pathlib.Path(__file__).resolve().parent.parent / "mappings" / "c-car031")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from cdisckit.conditions import normalise_value
from cdisckit.errors import CdiscKitError, SpecError
from cdisckit.specio import LineDict, line_of, load_yaml, spec_error
from cdisckit.standards import codelist, codelist_names, sdtm_dataset

from .same_facts import validate_same_facts

STUDY_KEYS = {
    "study",
    "description",
    "raw",
    "usubjid",
    "columns",
    "forms",
    "domains",
    "ct_maps",
    "visits",
    "epochs",
    "study_day_reference",
    "design",
    "data_cutoff",
    "same_facts",
    "reviewers_guide",
}
COLUMN_KEYS = {"subject", "site", "record", "folder"}
FORM_KEYS = {"file", "columns", "description"}
VISIT_KEYS = {"forms", "schedule", "unscheduled"}
SCHEDULE_KEYS = {"folder", "visit", "visitnum", "visitdy"}
UNSCHED_KEYS = {"folder", "visit", "step"}
EPOCH_KEYS = {"epoch", "start", "offset_days"}
DOMAIN_KEYS = {"domain", "description", "sources", "derived", "timing", "sort"}
BLOCK_KEYS = {"form", "description", "join", "where", "drop", "first_per", "visit", "variables", "supp"}
JOIN_KEYS = {"form", "columns", "pick", "order"}
DROP_KEYS = {"when", "reason"}
FIRST_PER_KEYS = {"keys", "order"}
PRODUCERS = ("source", "const", "date", "template", "cases", "decode", "derive")
MODIFIERS = {"time", "clean", "recode", "map", "numeric", "codelist", "when"}
SUPP_KEYS = {"label", "qorig", "qeval"}
CLEAN_OPS = {"strip", "upper", "lower", "title", "collapse", "ascii"}
DERIVATIONS = {
    "first_date": {"of", "where"},
    "last_date": {"of", "where"},
    "most_complete_date": {"of", "where"},
    "age": {"birth", "reference", "unit"},
}
TIMING_KEYS = {"study_day", "epoch", "last_before_exposure"}
MAP_KEYS = {"codelist", "values", "description"}
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _check_keys(obj, allowed: set, what: str, prefix: str = ""):
    if not isinstance(obj, dict):
        raise spec_error(f"{what} must be a mapping", obj, path_key=prefix or None)
    for k in obj:
        if k not in allowed:
            raise spec_error(
                f"unknown key {k!r} in {what} (allowed: {', '.join(sorted(allowed))})",
                obj,
                k,
                f"{prefix}.{k}" if prefix else str(k),
            )


def _known_codelist(name, obj, key, path_key):
    if name not in codelist_names():
        raise spec_error(f"unknown codelist {name!r} (not in specs/ct)", obj, key, path_key)
    return codelist(name)


# ------------------------------------------------------------------ codelist maps
def validate_maps(doc, path) -> dict:
    """``maps: {name: {codelist: SEX, values: {M: [Male, 1=Male]}}}``; targets checked against the codelist."""
    if doc is None:
        return {}
    _check_keys(doc, {"maps"}, str(path))
    maps = doc.get("maps") or {}
    for name, m in maps.items():
        _check_keys(m, MAP_KEYS, f"map {name}", f"maps.{name}")
        values = m.get("values")
        if not isinstance(values, dict) or not values:
            raise spec_error("a map needs 'values: {target: [raw, ...]}'", m, "values", f"maps.{name}.values")
        if m.get("codelist"):
            cl = _known_codelist(m["codelist"], m, "codelist", f"maps.{name}.codelist")
            if not cl.extensible:
                for target in values:
                    if target is not None and str(target) not in cl.values:
                        raise spec_error(
                            f"map target {target!r} is not in non-extensible codelist {cl.short_name}",
                            values,
                            target,
                            f"maps.{name}.values.{target}",
                        )
        seen: dict[str, object] = {}
        for target, raws in values.items():
            for raw in raws if isinstance(raws, list) else [raws]:
                if isinstance(raw, bool) or isinstance(target, bool):
                    raise spec_error(
                        'YAML read Yes/No/On/Off as true/false: quote it ("No")',
                        values,
                        target,
                        f"maps.{name}.values.{target}",
                    )
                norm = normalise_value(raw)
                if norm in seen and seen[norm] != target:
                    raise spec_error(
                        f"raw value {raw!r} maps to both {seen[norm]!r} and {target!r}",
                        values,
                        target,
                        f"maps.{name}.values.{target}",
                    )
                seen[norm] = target
    return maps


# ------------------------------------------------------------------ study.yaml
def load_study(study_dir: Path) -> dict:
    """Read and validate ``study.yaml``, the domain YAMLs it lists and the codelist maps.

    Returns ``{"dir", "file", "study", "raw", "usubjid", "columns", "forms", "visits", "epochs",
    "domains": {"DM": spec, ...}, "maps": {...}, "config": <study.yaml dict>}``.
    """
    study_dir = Path(study_dir)
    path = study_dir / "study.yaml"
    doc = load_yaml(path)
    _check_keys(doc, STUDY_KEYS, "study.yaml")
    for req in ("study", "forms", "domains"):
        if req not in doc:
            raise SpecError(f"required key {req!r} missing", file=str(path), line=1, key=req)
    columns = {"subject": "SUBJECT", "site": "SITEID", "record": "RECORDID", "folder": "FOLDER"}
    if "columns" in doc:
        _check_keys(doc["columns"], COLUMN_KEYS, "columns", "columns")
        columns.update(doc["columns"])
    forms = {}
    for name, f in doc["forms"].items():
        f = {"file": f} if isinstance(f, str) else f
        _check_keys(f, FORM_KEYS, f"form {name}", f"forms.{name}")
        forms[name] = {
            "file": f.get("file", f"{name}.csv"),
            "columns": list(f["columns"]) if f.get("columns") else None,
        }
    maps = {}
    if doc.get("ct_maps"):
        for mfile in doc["ct_maps"] if isinstance(doc["ct_maps"], list) else [doc["ct_maps"]]:
            mpath = study_dir / mfile
            for k, v in validate_maps(load_yaml(mpath), mpath).items():
                maps[k] = v
    visits = _validate_visits(doc.get("visits"), forms, columns["folder"])
    epochs = _validate_epochs(doc.get("epochs"))
    design = _load_design_file(doc, study_dir, epochs)
    same_facts = validate_same_facts(doc.get("same_facts"), forms)
    study = {
        "dir": study_dir,
        "file": str(path),
        "study": str(doc["study"]),
        "raw": doc.get("raw"),
        "usubjid": doc.get("usubjid", "{STUDYID}-{SUBJECT}"),
        "columns": columns,
        "forms": forms,
        "visits": visits,
        "epochs": epochs,
        "maps": maps,
        "study_day_reference": doc.get("study_day_reference", "RFSTDTC"),
        "design": design,
        "data_cutoff": _data_cutoff(doc),
        "same_facts": same_facts,
        "reviewers_guide": _guide_file(doc, study_dir),
        "config": doc,
        "domains": {},
    }
    for i, dfile in enumerate(doc["domains"]):
        dpath = study_dir / dfile
        if not dpath.exists():
            raise SpecError(
                f"domain mapping file {dfile} not found",
                file=str(path),
                line=line_of(doc["domains"]),
                key=f"domains[{i}]",
            )
        spec = validate_domain(load_yaml(dpath), study)
        study["domains"][spec["domain"]] = spec
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


def _guide_file(doc, study_dir: Path) -> Path | None:
    if not doc.get("reviewers_guide"):
        return None
    path = study_dir / str(doc["reviewers_guide"])
    if not path.is_file():
        raise spec_error(f"reviewer's guide file {doc['reviewers_guide']} not found", doc, "reviewers_guide")
    return path


def _validate_visits(v, forms, folder_col="FOLDER"):
    if v is None:
        return None
    _check_keys(v, VISIT_KEYS, "visits", "visits")
    for form, datecol in (v.get("forms") or {}).items():
        if form not in forms:
            raise spec_error(f"unknown form {form!r}", v["forms"], form, f"visits.forms.{form}")
        _declared(forms[form], datecol, v["forms"], form, f"visits.forms.{form}", form)
        _declared(forms[form], folder_col, v["forms"], form, f"visits.forms.{form}", form)
    nums = set()
    for i, s in enumerate(v.get("schedule") or []):
        _check_keys(s, SCHEDULE_KEYS, "visit", f"visits.schedule[{i}]")
        for req in ("folder", "visitnum"):
            if req not in s:
                raise spec_error(f"visit needs {req!r}", s, None, f"visits.schedule[{i}]")
        if s["visitnum"] in nums:
            raise spec_error("duplicate visitnum", s, "visitnum", f"visits.schedule[{i}].visitnum")
        nums.add(s["visitnum"])
    if v.get("unscheduled"):
        _check_keys(v["unscheduled"], UNSCHED_KEYS, "unscheduled", "visits.unscheduled")
    return v


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
    if form["columns"] is not None and col not in form["columns"]:
        raise spec_error(
            f"unknown raw column {col!r} (form {form_name} has {', '.join(form['columns'])})", obj, key, path_key
        )


# ------------------------------------------------------------------ domain YAML
def validate_domain(doc, study) -> dict:
    """Check one domain mapping; returns it with ``_refs``: raw column references to check against CSV headers."""
    fname = getattr(doc, "file", "?")
    if not isinstance(doc, dict):
        raise SpecError("a domain mapping must be a YAML mapping", file=fname, line=1)
    _check_keys(doc, DOMAIN_KEYS, Path(fname).name)
    if "domain" not in doc:
        raise SpecError("required key 'domain' missing", file=fname, line=1, key="domain")
    domain = str(doc["domain"]).upper()
    try:
        ds = sdtm_dataset(domain)
    except CdiscKitError:
        raise spec_error(f"unknown SDTM domain {domain!r}", doc, "domain") from None
    names = set(ds.names)
    refs = []  # (form, column, obj, key, path_key)
    supp_qnams: dict[object, object] = {}
    for bi, block in enumerate(doc.get("sources") or []):
        where = f"sources[{bi}]"
        _check_keys(block, BLOCK_KEYS, "source block", where)
        form = block.get("form")
        if form not in study["forms"]:
            raise spec_error(
                f"unknown form {form!r} (declare it under forms: in study.yaml)", block, "form", f"{where}.form"
            )
        targets: set[object] = set()

        def ref(col, obj, key, pk, _form=form, _targets=targets):
            if col in _targets or (isinstance(col, str) and col.startswith("_")) or col in {"STUDYID", "USUBJID"}:
                return
            refs.append((_form, col, obj, key, pk))

        joined = set()
        for ji, j in enumerate(block.get("join") or []):
            _check_keys(j, JOIN_KEYS, "join", f"{where}.join[{ji}]")
            if j.get("form") not in study["forms"]:
                raise spec_error(f"unknown form {j.get('form')!r}", j, "form", f"{where}.join[{ji}].form")
            for c in j.get("columns") or []:
                refs.append((j["form"], c, j["columns"], None, f"{where}.join[{ji}].columns"))
                joined.add(c)
            if j.get("order"):
                refs.append((j["form"], j["order"], j, "order", f"{where}.join[{ji}].order"))
        targets |= joined
        if "where" in block:
            _validate_cond(block["where"], f"{where}.where", ref)
        for di, d in enumerate(block.get("drop") or []):
            _check_keys(d, DROP_KEYS, "drop", f"{where}.drop[{di}]")
            if "reason" not in d or "when" not in d:
                raise spec_error("drop needs 'when' and 'reason'", d, None, f"{where}.drop[{di}]")
            _validate_cond(d["when"], f"{where}.drop[{di}].when", ref)
        if "first_per" in block:
            fp = block["first_per"]
            _check_keys(fp, FIRST_PER_KEYS, "first_per", f"{where}.first_per")
            for c in fp.get("keys") or []:
                ref(c, fp, "keys", f"{where}.first_per.keys")
            if fp.get("order"):
                ref(fp["order"], fp, "order", f"{where}.first_per.order")
        if block.get("visit"):
            if not study.get("visits") or form not in (study["visits"].get("forms") or {}):
                raise spec_error(
                    f"visit: true needs form {form!r} under visits.forms in study.yaml",
                    block,
                    "visit",
                    f"{where}.visit",
                )
        variables = block.get("variables") or {}
        if not isinstance(variables, dict):
            raise spec_error("variables must be a mapping", block, "variables", f"{where}.variables")
        for var, a in variables.items():
            pk = f"{where}.variables.{var}"
            if not str(var).startswith("_") and var not in names:
                raise spec_error(f"unknown target variable {var!r}: not in {domain} (SDTMIG 3.4)", variables, var, pk)
            _validate_assignment(a, variables, var, pk, study, ref, ds.variable(var), in_derived=False)
            targets.add(var)
        for qnam, a in (block.get("supp") or {}).items():
            pk = f"{where}.supp.{qnam}"
            if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,7}", str(qnam)):
                raise spec_error("QNAM must be 1-8 upper-case letters/digits", block["supp"], qnam, pk)
            if not isinstance(a, dict) or "label" not in a:
                raise spec_error("a supp qualifier needs 'label'", block["supp"], qnam, pk)
            if len(str(a["label"])) > 40:
                raise spec_error("QLABEL longer than 40 characters", a, "label", f"{pk}.label")
            if supp_qnams.setdefault(qnam, a["label"]) != a["label"]:
                raise spec_error("same QNAM with a different label in another block", a, "label", f"{pk}.label")
            core = LineDict({k: v for k, v in a.items() if k not in SUPP_KEYS})
            src = cast(LineDict, a)  # the YAML loader builds every mapping as a LineDict
            core.lines, core.line, core.file = src.lines, src.line, src.file
            _validate_assignment(core, block["supp"], qnam, pk, study, ref, None, in_derived=False)
    for var, a in (doc.get("derived") or {}).items():
        pk = f"derived.{var}"
        if var not in names:
            raise spec_error(f"unknown target variable {var!r}: not in {domain} (SDTMIG 3.4)", doc["derived"], var, pk)
        _validate_assignment(a, doc["derived"], var, pk, study, lambda *x: None, ds.variable(var), in_derived=True)
    if "timing" in doc:
        t = doc["timing"]
        _check_keys(t, TIMING_KEYS, "timing", "timing")
        for dy, dtc in (t.get("study_day") or {}).items():
            for v in (dy, dtc):
                if v not in names:
                    raise spec_error(
                        f"unknown variable {v!r} in {domain}", t["study_day"], dy, f"timing.study_day.{dy}"
                    )
        if t.get("epoch") and t["epoch"] not in names:
            raise spec_error(f"unknown variable {t['epoch']!r} in {domain}", t, "epoch", "timing.epoch")
    for s in doc.get("sort") or []:
        if s not in names:
            raise spec_error(f"unknown sort variable {s!r}", doc, "sort", "sort")
    # forms that declare their columns are checked now; the others when their CSV header is read
    for form, col, obj, key, pk in refs:
        _declared(study["forms"][form], col, obj, key, pk, form)
    out = dict(doc)
    out["domain"] = domain
    out["_refs"] = refs
    out["_file"] = fname
    return out


def _validate_cond(cond, pk, ref):
    """Conditions: ``{COL: value | [values] | null | {not: ...}}`` (all must hold)."""
    if not isinstance(cond, dict):
        raise spec_error("a condition must be a mapping {column: value}", cond, None, pk)
    for col, val in cond.items():
        if isinstance(val, bool) or (isinstance(val, list) and any(isinstance(v, bool) for v in val)):
            raise spec_error('YAML read Yes/No/On/Off as true/false: quote it ("No")', cond, col, f"{pk}.{col}")
        if isinstance(val, dict):
            _check_keys(val, {"not"}, "condition", f"{pk}.{col}")
        ref(col, cond, col, f"{pk}.{col}")


def _validate_assignment(a, parent, var, pk, study, ref, vspec, in_derived):
    if not isinstance(a, dict):  # scalar = constant
        _check_const(a, vspec, parent, var, pk)
        return
    allowed = set(PRODUCERS) | MODIFIERS
    if a.get("derive"):
        allowed |= DERIVATIONS.get(a["derive"], set())
    _check_keys(a, allowed, f"assignment of {var}", pk)
    producers = [p for p in PRODUCERS if p in a]
    if len(producers) != 1 and not (producers == [] and "when" in a):
        raise spec_error(
            f"give exactly one of {', '.join(PRODUCERS)} (found {', '.join(producers) or 'none'})", parent, var, pk
        )
    if "when" in a and not isinstance(parent, list):
        raise spec_error("'when' is only allowed inside cases", a, "when", f"{pk}.when")
    if "when" in a:
        _validate_cond(a["when"], f"{pk}.when", ref)
    for col_key in ("source", "date", "time"):
        if col_key in a:
            cols = a[col_key] if isinstance(a[col_key], list) else [a[col_key]]
            for c in cols:
                ref(c, a, col_key, f"{pk}.{col_key}")
    if "template" in a:
        for c in PLACEHOLDER.findall(str(a["template"])):
            if c not in {"VISITNUM", "VISIT", "VISITDY"}:
                ref(c, a, "template", f"{pk}.template")
    if "const" in a:
        _check_const(a["const"], vspec, a, "const", f"{pk}.const")
    if "clean" in a:
        ops = a["clean"] if isinstance(a["clean"], list) else [a["clean"]]
        for op in ops:
            if op not in CLEAN_OPS:
                raise spec_error(
                    f"unknown clean-up {op!r} (allowed: {', '.join(sorted(CLEAN_OPS))})", a, "clean", f"{pk}.clean"
                )
    if "map" in a:
        m = a["map"]
        if isinstance(m, str):
            if m not in study["maps"]:
                raise spec_error(f"unknown codelist map {m!r} (not in the study's ct_maps)", a, "map", f"{pk}.map")
        elif not isinstance(m, dict):
            raise spec_error(
                "map must name a map in ct_maps or be an inline {target: [raw, ...]}", a, "map", f"{pk}.map"
            )
    if "recode" in a and not isinstance(a["recode"], dict):
        raise spec_error("recode must be a mapping {raw: value}", a, "recode", f"{pk}.recode")
    if "codelist" in a:
        _known_codelist(a["codelist"], a, "codelist", f"{pk}.codelist")
    if "decode" in a:
        ds_var = a["decode"]
        if not isinstance(ds_var, str):
            raise spec_error(
                "decode names the --TESTCD variable whose CT decode is wanted", a, "decode", f"{pk}.decode"
            )
    if "derive" in a:
        if a["derive"] not in DERIVATIONS:
            raise spec_error(
                f"unknown derivation {a['derive']!r} (known: {', '.join(sorted(DERIVATIONS))})",
                a,
                "derive",
                f"{pk}.derive",
            )
        if not in_derived:
            raise spec_error("derive: is only allowed in the domain's derived: section", a, "derive", f"{pk}.derive")
    if "cases" in a:
        cases = a["cases"]
        if not isinstance(cases, list) or not cases:
            raise spec_error("cases must be a non-empty list", a, "cases", f"{pk}.cases")
        for i, c in enumerate(cases):
            if isinstance(c, dict) and set(c) == {"when"}:
                _validate_cond(c["when"], f"{pk}.cases[{i}].when", ref)  # when alone = missing value
                continue
            _validate_assignment(c, cases, var, f"{pk}.cases[{i}]", study, ref, vspec, in_derived)


def _check_const(value, vspec, obj, key, pk):
    if value is None or vspec is None or not vspec.codelist:
        return
    try:
        cl = codelist(vspec.codelist)
    except CdiscKitError:
        return
    if not cl.extensible and str(value) not in cl.values:
        raise spec_error(f"{value!r} is not in non-extensible codelist {cl.short_name} of {vspec.name}", obj, key, pk)


def check_columns_against_header(study: dict, form: str, header: list[str]):
    """SpecError for spec references to columns the CSV header of ``form`` lacks (forms without declared columns)."""
    for spec in study["domains"].values():
        for f, col, obj, key, pk in spec["_refs"]:
            if f == form and col not in header:
                raise spec_error(
                    f"unknown raw column {col!r}: not in the header of {study['forms'][form]['file']}", obj, key, pk
                )
