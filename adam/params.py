"""ADaM derivation rules as parameters: defaults <- study ``adam.yaml`` <- ``--params FILE``.

Every rule the derivations use is a key of one flat dictionary; ``docs/adam.md`` documents each key.
Unknown keys and values of the wrong type raise :class:`~cdisckit.errors.SpecError` naming file, line and key.

>>> p = load_params()
>>> p["confirmation_days"], p["origin"], p["os_origin"]
(28, 'TRTSDT', 'PRETSDT')
"""

from __future__ import annotations

import copy
from pathlib import Path

from cdisckit.conditions import condition_problem
from cdisckit.errors import SpecError
from cdisckit.specio import key_lines, load_yaml

STUDY_FILE = "adam.yaml"

#: Documented defaults (docs/adam.md). Nested values (lists of dicts) are replaced as a whole by a later file.

# Event and censoring sources shared by PFS, duration of response and OS (admiral-style source objects).
# Each use takes its own copy (_fresh), so editing one parameter's sources never changes another's.
_PD_EVENT = {
    "dataset": "ADRS",
    "where": {"PARAMCD": "{p}PD", "AVALC": "Y"},
    "date": "ADT",
    "evntdesc": "DISEASE PROGRESSION",
    "srcdom": "ADRS",
    "srcvar": "ADT",
    "srcseq": "ASEQ",
}
_DEATH_EVENT = {
    "dataset": "ADSL",
    "where": {"DTHDT": {"not": None}},
    "date": "DTHDT",
    "evntdesc": "DEATH",
    "srcdom": "ADSL",
    "srcvar": "DTHDT",
}
_LAST_ADEQUATE = {
    "dataset": "ADRS",
    "where": {"PARAMCD": "{p}OVR", "ANL01FL": "Y", "AVALC": ["CR", "PR", "SD", "NON-CR/NON-PD"]},
    "date": "ADT",
    "censor": 1,
    "cnsdtdsc": "LAST ADEQUATE TUMOR ASSESSMENT",
    "srcdom": "ADRS",
    "srcvar": "ADT",
    "srcseq": "ASEQ",
}


def _fresh(*sources: dict) -> list[dict]:
    return copy.deepcopy(list(sources))


DEFAULTS: dict = {
    # ---- reference dates (ADSL)
    "origin": "TRTSDT",  # start of response assessment, PFS and DoR windows (ADSL date column)
    "os_origin": "PRETSDT",  # STARTDT of OS (ADSL date column)
    # filters are declarative conditions {COLUMN: value | [values] | null | {not: ...} | {icase: ...}}, never code
    "trtsdt_where": None,  # EX records defining TRTSDT/TRTSDTM (e.g. {EXCAT: CAR-T}); None = all EX
    "trtedt_where": None,  # EX records defining TRTEDT; None = all EX
    "pretsdt_where": None,  # EX records defining PRETSDT (start of pretreatment); None = all EX
    "enrolment_dsdecod": ["ENROLLED", "ENTERED INTO TRIAL"],
    "randomisation_dsdecod": ["RANDOMIZED"],
    "consent_dsdecod": ["INFORMED CONSENT OBTAINED"],
    "screen_failure_values": ["SCREEN FAILURE", "SCRNFAIL", "NOT ASSIGNED", "NOTASSGN"],
    "not_treated_values": ["NOT TREATED", "NOTTRT"],
    "treatment_order": [],  # TRT01PN/TRT01AN order of ARM values; [] = alphabetical
    "age_cutoffs": [65],  # AGEGR1: <65, >=65
    "death_generic_terms": ["DEATH", "DIED", "SUBJECT DIED", "PATIENT DIED", "DEAD"],  # DS DSTERM not a cause
    "death_impute": "first",  # partial DTHDTC: first day of the missing period, not before last alive date
    "efffl_requires_target": True,  # EFFFL = SAFFL and a TARGET lesion in TU on or before origin
    # ---- ADAE
    "teae_window_start": "PRETSDT",  # TEAE window start (ADSL date column); onset on or after it
    "teae_window_ref": "TRTSDT",  # window end = teae_window_ref + teae_window_days
    "teae_window_days": 365,
    # partial AE dates (admiral derive_vars_dt): the imputed date never passes a bound lying inside the period the
    # partial date allows; bounds are ADAE columns (ISO 8601 ones count only when complete)
    "ae_start_imputation": {
        "highest_imputation": "M",
        "date_imputation": "first",
        "min_dates": ["PRETSDT"],
        "max_dates": ["AEENDTC", "DTHDT"],
    },
    "ae_end_imputation": {
        "highest_imputation": "M",
        "date_imputation": "last",
        "min_dates": ["AESTDTC"],
        "max_dates": ["DTHDT"],
    },
    "ae_missing_start_is_teae": True,  # onset unknown and end unknown/after window start -> treatment-emergent
    "aesi": [  # AESI categories by MedDRA PT (case-insensitive) besides SUPPAE AESI/AESICAT
        {"category": "CRS", "pt": ["Cytokine release syndrome"]},
        {"category": "ICANS", "pt": ["Immune effector cell-associated neurotoxicity syndrome"]},
    ],
    "relationship_qnams": {"ARELLD": "AERELLD", "ARELLEN": "AERELLEN", "ARELPD1": "AERELPD1"},
    # ---- ADRS
    "criteria": [
        {
            "rscat": "RECIST 1.1",
            "prefix": "",
            "label": "RECIST 1.1",
            "aliases": ["RECIST", "RECIST 1.1"],
            "tr_sum_testcd": "SUMDIAM",
            "tr_lesion_testcd": "DIAMETER",
            "adtr_paramcd": "SUMDIAM",
            "adtr_param": "Sum of Diameters of Target Lesions (mm)",
        },
        {
            "rscat": "MRECIST LENCIONI LIVER CANCER 2010",
            "prefix": "M",
            "label": "mRECIST",
            "aliases": ["MRECIST", "MODIFIED RECIST"],
            "tr_sum_testcd": "SUMVDIAM",
            "tr_lesion_testcd": ["VDIAM", "DIAMETER"],
            "adtr_paramcd": "MSUMDIAM",
            "adtr_param": "Sum of Viable Tumour Diameters, mRECIST (mm)",
        },
    ],
    "rs_where": None,  # extra filter on RS (e.g. {RSEVAL: INVESTIGATOR})
    "confirmation_days": 28,
    "max_ne_between": 1,
    "min_sd_days": 42,  # SD counts when ADT - origin >= min_sd_days
    "pr_after_cr_breaks_confirmation": False,
    "accept_sd_between": False,  # SD between a PR and its confirmation keeps the PR confirmable
    "unconfirmed_as_sd": True,  # unconfirmed CR/PR -> SD when min_sd_days met, else NE
    "missing_as_ne": False,  # no post-baseline assessment: BOR NE (True) or MISSING (False)
    "anl_after_origin": True,  # assessments used: ADT > origin
    "anl_worst_per_date": True,  # one response per date: the worst
    "anl_up_to_first_pd": True,  # up to and including the first PD
    "anl_before_new_therapy": False,  # only assessments before new anticancer therapy start
    "timepoints": [
        {"name": "WEEK 6", "suffix": "W6", "day": 42, "window": 7},
        {"name": "WEEK 12", "suffix": "W12", "day": 84, "window": 7},
        {"name": "WEEK 18", "suffix": "W18", "day": 126, "window": 7},
        {"name": "MONTH 6", "suffix": "M6", "day": 182, "window": 14},
        {"name": "MONTH 9", "suffix": "M9", "day": 273, "window": 14},
        {"name": "MONTH 12", "suffix": "M12", "day": 365, "window": 14},
    ],
    "parameters": {
        "OVR": "Overall Response by Investigator, {crit}",
        "BOR": "Best Overall Response, {crit}",
        "CBOR": "Best Confirmed Overall Response, {crit}",
        "RSP": "Objective Response (CR/PR), {crit}",
        "CRSP": "Confirmed Objective Response, {crit}",
        "CB": "Disease Control (CR/PR/SD), {crit}",
        "CCB": "Confirmed Disease Control, {crit}",
        "PD": "Disease Progression, {crit}",
        "DEATH": "Death, {crit}",
        "LSTA": "Last Disease Assessment, {crit}",
        "MDIS": "Measurable Disease at Baseline, {crit}",
        "RSP{tp}": "Objective Response at {tpname}, {crit}",
        "DC{tp}": "Disease Control at {tpname}, {crit}",
    },
    # ---- ADTTE
    "new_therapy": {"dataset": "CM", "where": {"CMCAT": {"icase": "NEW ANTICANCER THERAPY"}}, "date": "CMSTDTC"},
    "pfs_censor_new_therapy": True,
    "pfs_missed_assessments": 2,  # 0 switches the rule off; counts planned timepoints when timepoints given
    "assessment_interval_days": 42,  # without timepoints: missed when event - last adequate > n * interval + window
    "assessment_window_days": 7,
    "tte": [
        {
            "paramcd": "PFS",
            "param": "Progression-Free Survival, {crit} (days)",
            "per_criterion": True,
            "start": {"dataset": "ADSL", "date": "{origin}"},
            "censoring_rules": True,
            "events": _fresh(_PD_EVENT, _DEATH_EVENT),
            "censors": _fresh(_LAST_ADEQUATE)
            + [
                {
                    "dataset": "ADSL",
                    "date": "{origin}",
                    "censor": 2,
                    "cnsdtdsc": "NO ADEQUATE POST-BASELINE ASSESSMENT",
                    "srcdom": "ADSL",
                    "srcvar": "{origin}",
                }
            ],
        },
        {
            "paramcd": "RSD",
            "param": "Duration of Response, {crit} (days)",
            "per_criterion": True,
            "start": {"dataset": "ADRS", "where": {"PARAMCD": "{p}CRSP", "AVALC": "Y"}, "date": "ADT"},
            "censoring_rules": True,
            "events": _fresh(_PD_EVENT, _DEATH_EVENT),
            "censors": _fresh(_LAST_ADEQUATE),
        },
        {
            "paramcd": "OS",
            "param": "Overall Survival (days)",
            "per_criterion": False,
            "start": {"dataset": "ADSL", "date": "{os_origin}"},
            "censoring_rules": False,
            "events": _fresh(_DEATH_EVENT),
            "censors": [
                {
                    "dataset": "ADSL",
                    "date": "LSTALVDT",
                    "censor": 1,
                    "cnsdtdsc": "LAST KNOWN ALIVE DATE",
                    "srcdom": "ADSL",
                    "srcvar": "LSTALVDT",
                }
            ],
        },
    ],
}

_NUMERIC = (int, float)


def _type_ok(default, value) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, _NUMERIC) and not isinstance(value, bool)
    return isinstance(value, type(default))


def _line(lines: dict, path: str):
    """Line of ``path`` or of its nearest parent path found."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


#: Keys holding a declarative row condition (see cdisckit.adam.util.condition_problem).
CONDITION_KEYS = ("trtsdt_where", "trtedt_where", "pretsdt_where", "rs_where")


def condition_paths(doc: dict) -> list[tuple[str, object]]:
    """Every (key path, condition) of a params document: the *_where keys, new_therapy.where and the where of
    each tte start/event/censor source."""
    out = [(k, doc[k]) for k in CONDITION_KEYS if k in doc]
    nt = doc.get("new_therapy")
    if isinstance(nt, dict) and "where" in nt:
        out.append(("new_therapy.where", nt["where"]))
    for i, t in enumerate(doc.get("tte") or []):
        if not isinstance(t, dict):
            continue
        if isinstance(t.get("start"), dict) and "where" in t["start"]:
            out.append((f"tte[{i}].start.where", t["start"]["where"]))
        for kind in ("events", "censors"):
            for j, src in enumerate(t.get(kind) or []):
                if isinstance(src, dict) and "where" in src:
                    out.append((f"tte[{i}].{kind}[{j}].where", src["where"]))
    return out


def _read(path: Path) -> tuple[dict, dict]:
    """A params file through the one spec loader: (document, line of every key path)."""
    doc = load_yaml(Path(path), what="params file")
    if doc is None:
        return {}, {}
    if not isinstance(doc, dict):
        raise SpecError("expected a mapping of parameter names to values", file=path, line=1)
    return doc, key_lines(doc)


_IMPUTATION_KEYS = {"highest_imputation": ("n", "D", "M"), "date_imputation": ("first", "last")}


def _check_imputation(value: dict, file, lines: dict, key: str) -> None:
    for k, v in value.items():
        where = {"file": file, "line": _line(lines, f"{key}.{k}"), "key": f"{key}.{k}"}
        if k in _IMPUTATION_KEYS:
            if v not in _IMPUTATION_KEYS[k]:
                raise SpecError(f"expected one of {', '.join(_IMPUTATION_KEYS[k])}, got {v!r}", **where)
        elif k in ("min_dates", "max_dates"):
            if not isinstance(v, list) or not all(isinstance(c, str) for c in v):
                raise SpecError("expected a list of column names", **where)
        else:
            raise SpecError("unknown key; known: highest_imputation, date_imputation, min_dates, max_dates", **where)


def validate_params(doc: dict, file=None, lines: dict | None = None) -> None:
    """Raise SpecError for unknown keys, wrong types and malformed nested entries."""
    lines = lines or {}
    for key, value in doc.items():
        where = {"file": file, "line": lines.get(key), "key": key}
        if key not in DEFAULTS:
            raise SpecError(f"unknown parameter; known: {', '.join(sorted(DEFAULTS))}", **where)
        default = DEFAULTS[key]
        if not _type_ok(default, value):
            raise SpecError(f"expected {type(default).__name__}, got {type(value).__name__} ({value!r})", **where)
        if (
            key
            in (
                "confirmation_days",
                "max_ne_between",
                "min_sd_days",
                "teae_window_days",
                "pfs_missed_assessments",
                "assessment_interval_days",
                "assessment_window_days",
            )
            and value < 0
        ):
            raise SpecError("must be >= 0", **where)
        if key == "timepoints":
            for i, tp in enumerate(value):
                if not isinstance(tp, dict) or not {"name", "suffix", "day"} <= set(tp):
                    raise SpecError(
                        "each timepoint needs name, suffix, day (and optional window)",
                        file=file,
                        line=_line(lines, f"timepoints[{i}]"),
                        key=f"timepoints[{i}]",
                    )
        if key == "criteria":
            for i, c in enumerate(value):
                if not isinstance(c, dict) or not {"rscat", "prefix"} <= set(c):
                    raise SpecError(
                        "each criterion needs rscat and prefix",
                        file=file,
                        line=_line(lines, f"criteria[{i}]"),
                        key=f"criteria[{i}]",
                    )
        if key == "aesi":
            for i, a in enumerate(value):
                if not isinstance(a, dict) or "category" not in a or not isinstance(a.get("pt", []), list):
                    raise SpecError(
                        "each AESI needs category and a list pt",
                        file=file,
                        line=_line(lines, f"aesi[{i}]"),
                        key=f"aesi[{i}]",
                    )
        if key == "tte":
            for i, t in enumerate(value):
                if (
                    not isinstance(t, dict)
                    or not {"paramcd", "start", "events"} <= set(t)
                    or not isinstance(t["start"], dict)
                    or "date" not in t["start"]
                ):
                    raise SpecError(
                        "each tte parameter needs paramcd, start {date, ...}, events (censors optional)",
                        file=file,
                        line=_line(lines, f"tte[{i}]"),
                        key=f"tte[{i}]",
                    )
                for kind in ("events", "censors"):
                    for j, s in enumerate(t.get(kind, [])):
                        if not isinstance(s, dict) or not {"dataset", "date"} <= set(s):
                            raise SpecError(
                                "each source needs dataset and date",
                                file=file,
                                line=_line(lines, f"tte[{i}].{kind}[{j}]"),
                                key=f"tte[{i}].{kind}[{j}]",
                            )
        if key in ("ae_start_imputation", "ae_end_imputation"):
            _check_imputation(value, file, lines, key)
        if key == "new_therapy" and value is not None and not {"dataset", "date"} <= set(value):
            raise SpecError("new_therapy needs dataset, date (and optional where)", **where)
    for path, cond in condition_paths(doc):
        bad = condition_problem(cond, path)
        if bad:
            raise SpecError(bad[1], file=file, line=_line(lines, bad[0]), key=bad[0])


_MERGED = ("parameters", "relationship_qnams", "ae_start_imputation", "ae_end_imputation")


def load_params(path: Path | None = None, study_dir: Path | None = None) -> dict:
    """Defaults, overridden by ``<study_dir>/adam.yaml``, overridden by the params file ``path``.

    Keys are replaced as a whole, except the mappings in ``_MERGED`` (``parameters``, ``relationship_qnams``,
    ``ae_start_imputation``, ``ae_end_imputation``), whose keys are merged.

    >>> load_params()["teae_window_days"]
    365
    """
    params = copy.deepcopy(DEFAULTS)
    files = []
    if study_dir is not None and (Path(study_dir) / STUDY_FILE).exists():  # a study without adam.yaml: defaults
        files.append(Path(study_dir) / STUDY_FILE)
    if path is not None:
        files.append(Path(path))
    for file in files:
        doc, lines = _read(file)
        validate_params(doc, file=file, lines=lines)
        for key, value in doc.items():
            if key in _MERGED and isinstance(value, dict):
                params[key] = {**params[key], **value}
            else:
                params[key] = copy.deepcopy(value)
    return params
