"""define.xml origins of SDTM variables, read off the mapping spec (what the data manager wrote in YAML)."""

from __future__ import annotations

import re


def describe_condition(cond) -> str:
    """A condition of :mod:`cdisckit.conditions` in words.

    >>> describe_condition({"ELIGYN": "No", "DTHDAT": {"not": None}})
    "ELIGYN is 'No' and DTHDAT is not blank"
    >>> describe_condition({"any": [{"A": ["X", "Y"]}, {"B": {"gt": {"column": "C"}}}]})
    "(A is one of 'X', 'Y') or (B is after/greater than C)"
    """
    if cond is None:
        return "always"
    parts = []
    for name, test in cond.items():
        if name in ("any", "all"):
            joiner = " or " if name == "any" else " and "
            parts.append(joiner.join(f"({describe_condition(c)})" for c in test))
        else:
            parts.append(f"{name} {_describe_test(test)}")
    return " and ".join(parts)


_OPS = {"eq": "is", "ne": "is not", "lt": "is before/less than", "le": "is on or before/at most",
        "gt": "is after/greater than", "ge": "is on or after/at least"}  # fmt: skip


def _describe_test(test) -> str:
    if test is None:
        return "is blank"
    if isinstance(test, list):
        return "is one of " + ", ".join("blank" if v is None else repr(str(v)) for v in test)
    if isinstance(test, dict):
        (op, value), *_ = test.items()
        if op == "not":
            return _describe_test(value).replace("is ", "is not ", 1).replace("is not not ", "is ")
        if op == "matches":
            return f"matches the pattern {value!r}"
        if op == "icase":
            return f"is {str(value)!r}"
        if isinstance(value, dict) and "column" in value:
            return f"{_OPS.get(op, op)} {value['column']}"
        return f"{_OPS.get(op, op)} {str(value)!r}"
    return f"is {str(test)!r}"


def _describe(assign, form: str = "", joined: dict | None = None) -> str:
    """One assignment of a mapping spec in words, for define.xml methods (never the spec's YAML or JSON).

    >>> _describe({"derive": "first_date", "of": ["EX.EXSTDTC"], "where": {"EXTRT": "C-CAR"}})
    "Earliest of EX.EXSTDTC per subject where EXTRT is 'C-CAR'"
    >>> _describe({"derive": "age", "birth": "BRTHDTC", "reference": "RFICDTC"})
    'Age in whole years from BRTHDTC to RFICDTC'
    >>> _describe({"cases": [{"when": {"ELIGYN": "No"}}, {"source": "COHORT", "map": "armcd"}]}, "enr")
    "Missing when ELIGYN is 'No'; otherwise enr.COHORT, mapped with codelist map armcd"
    """
    joined = joined or {}

    def where(col: str) -> str:
        return f"{joined.get(col, form)}.{col}" if form else str(col)

    if not isinstance(assign, dict):
        return f"Set to {str(assign)!r}"
    if "cases" in assign:
        out = []
        for case in assign["cases"]:
            body = {k: v for k, v in case.items() if k != "when"} if isinstance(case, dict) else case
            what = "missing" if body == {} else _describe(body, form, joined)
            what = what[0].lower() + what[1:] if what[:4] in ("Set ", "Miss") else what
            out.append(f"{what} when {describe_condition(case['when'])}" if "when" in case else f"otherwise {what}")
        text = "; ".join(out)
        return text[0].upper() + text[1:]
    kind = assign.get("derive")
    if kind in ("first_date", "last_date", "most_complete_date"):
        head = {"first_date": "Earliest", "last_date": "Latest", "most_complete_date": "Most complete"}[kind]
        text = f"{head} of {', '.join(assign['of'])} per subject"
        if kind == "most_complete_date":
            text += " when they agree at the precision they share (else the first one)"
        if assign.get("where"):
            text += " where " + describe_condition(assign["where"])
        return text
    if kind == "age":
        return (
            f"Age in whole {str(assign.get('unit', 'years')).lower()} from {assign['birth']} to {assign['reference']}"
        )
    if "const" in assign:
        text = f"Set to {str(assign['const'])!r}"
    elif "source" in assign:
        cols = assign["source"] if isinstance(assign["source"], list) else [assign["source"]]
        text = " else ".join(where(c) for c in cols)
    elif "date" in assign:
        text = " + ".join([where(assign["date"])] + ([where(assign["time"])] if assign.get("time") else []))
        text += " as ISO 8601 (partial dates kept, never imputed)"
    elif "template" in assign:
        pieces = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", str(assign["template"]))
        parts = [repr(p) if i % 2 == 0 else p for i, p in enumerate(pieces) if p]
        text = "Text made of " + " + ".join(parts)
    elif "decode" in assign:
        text = f"The CDISC CT name paired with the code in {assign['decode']} (same NCI code)"
    else:
        text = "Derived"
    if assign.get("clean"):
        ops = assign["clean"] if isinstance(assign["clean"], list) else [assign["clean"]]
        text += f", cleaned ({', '.join(ops)})"
    if assign.get("recode"):
        text += ", with " + ", ".join(f"{k!r} read as {v!r}" for k, v in assign["recode"].items())
    if assign.get("map"):
        m = assign["map"]
        text += (
            f", mapped with codelist map {m}"
            if isinstance(m, str)
            else ", mapped " + ", ".join(f"{raws!r} to {target!r}" for target, raws in m.items())
        )
    if assign.get("numeric"):
        text += ", as a number"
    if assign.get("codelist"):
        text += f", checked against codelist {assign['codelist']}"
    return text


def derive_origin(assign, form: str, joined: dict[str, str] | None = None) -> tuple[str, str]:
    """Origin type and text of one variable assignment of a mapping spec.

    >>> derive_origin("YEARS", "dm")
    ('Assigned', "Set to 'YEARS'")
    >>> derive_origin({"source": "SEX", "map": "sex"}, "dm")
    ('CRF', 'dm.SEX, mapped with codelist map sex')
    >>> derive_origin({"date": "ICDAT", "time": "ICTIM"}, "ic")[0]
    'CRF'
    """
    joined = joined or {}

    def where(col: str) -> str:
        return f"{joined.get(col, form)}.{col}"

    if not isinstance(assign, dict):
        return "Assigned", f"Set to {str(assign)!r}"
    if "const" in assign and len(assign) == 1:
        return "Assigned", f"Set to {str(assign['const'])!r}"
    if "source" in assign and not set(assign) - {"source", "clean", "map", "recode", "numeric", "codelist"}:
        cols = assign["source"] if isinstance(assign["source"], list) else [assign["source"]]
        text = " else ".join(where(c) for c in cols)
        if "map" in assign:
            text += f", mapped with codelist map {assign['map']}"
        return "CRF", text
    if "date" in assign and not set(assign) - {"date", "time"}:
        parts = [where(assign["date"])] + ([where(assign["time"])] if assign.get("time") else [])
        return "CRF", " + ".join(parts) + " as ISO 8601 (partial dates kept, never imputed)"
    return "Derived", f"From form {form}: {_describe(assign, form, joined)}"


def derive_define_origins(study: dict) -> dict[tuple[str, str], tuple[str, str]]:
    """``{(dataset, variable): (origin type, text)}`` for every variable the study's mapping specs assign.

    A variable fed by several forms keeps CRF when every form collects it, otherwise it is Derived;
    the texts are joined so the reviewer sees every source.
    """
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for domain, spec in study["domains"].items():
        for source in spec.get("sources", []):
            joined = {c: j["form"] for j in source.get("join") or [] for c in j.get("columns", [])}
            for var, assign in (source.get("variables") or {}).items():
                found.setdefault((domain, var), []).append(derive_origin(assign, source.get("form", ""), joined))
            for qnam, supp in (source.get("supp") or {}).items():
                body = {k: v for k, v in supp.items() if k != "label"}
                found.setdefault((f"SUPP{domain}", f"QVAL.{qnam}"), []).append(
                    derive_origin(body, source.get("form", ""), joined)
                )
        for var, assign in (spec.get("derived") or {}).items():
            found.setdefault((domain, var), []).append(("Derived", _describe(assign)))
    out = {}
    for key, items in found.items():
        types = {t for t, _ in items}
        texts = list(dict.fromkeys(text for _, text in items))
        kind = types.pop() if len(types) == 1 else "Derived"
        out[key] = (kind, "; ".join(texts))
    return out


def derive_define_comments(study: dict, datasets: dict, guide: dict | None = None) -> dict[tuple[str, str], str]:
    """define.xml comments (def:CommentDef): how EPOCH is set from the subject elements and when it is left blank
    (every dataset whose EPOCH comes from SE), plus the study's own ``define_comments`` of the reviewer's guide file.

    >>> study = {"design": {"arms": {}}, "domains": {"AE": {"timing": {"epoch": "AESTDTC"}}}}
    >>> derive_define_comments(study, {"AE": {"EPOCH": []}})[("AE", "EPOCH")][:40]
    'EPOCH is the epoch of the subject elemen'
    """
    out: dict[tuple[str, str], str] = {}
    if study.get("design"):
        for domain, spec in study.get("domains", {}).items():
            dtc = (spec.get("timing") or {}).get("epoch")
            if dtc and domain in datasets and "EPOCH" in datasets[domain]:
                out[(domain, "EPOCH")] = (
                    f"EPOCH is the epoch of the subject element (SE) in which {dtc} falls; the day an element starts "
                    f"belongs to that element. A partial {dtc} gets the epoch in which the whole period it allows "
                    f"lies (e.g. a month within screening). EPOCH is left blank when that period straddles two "
                    f"epochs, or lies before the subject's first element."
                )
    for ref, text in ((guide or {}).get("define_comments") or {}).items():
        ds, _, var = str(ref).partition(".")
        out[(ds.upper(), var.upper())] = str(text)
    return out
