"""Seeded synthetic raw EDC export (one CSV per CRF form) for a CAR-T study, as docs/raw-export.md describes.

Every study fact (study id, sites, cohorts, doses, visit days, term lists, probabilities) comes from a design
YAML such as ``mappings/c-car031/synth.yaml``; this module only knows the export layout (form and column
names, date formats) and the response rules. Everything is drawn from one ``numpy.random.Generator(PCG64(seed))``
in a fixed order and computed column-wise with numpy (loops run over forms, visits and lesion slots, never over
subjects), so the same design, size and seed give the same bytes, and 10,000 subjects take a few seconds.

Tumour model: each enrolled subject has 1-5 target lesions (the first in the liver), 0-3 non-target lesions and
a response profile (depth and day of the nadir, regrowth, necrosis of liver lesions). Longest diameters (LDIAM)
and viable diameters (VDIAM, liver lesions) are drawn from it at each assessment; the time-point responses in
rsp.csv are then computed from what was written (see :func:`_target_response`), so they are consistent with the
measurements by construction.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .errors import SpecError

# The export layout (docs/raw-export.md): form -> columns, in file order.
FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dm", ("SITEID", "SUBJECT", "RECORDID", "BRTHDAT", "SEX", "RACE", "ETHNIC", "COUNTRY")),
    ("ic", ("SITEID", "SUBJECT", "RECORDID", "ICDAT", "ICTIM")),
    ("enr", ("SITEID", "SUBJECT", "RECORDID", "ELIGYN", "ENRDAT", "COHORT", "COHORTLBL", "DOSELVL")),
    ("ld", ("SITEID", "SUBJECT", "RECORDID", "FOLDER", "LDTRT", "LDDAT", "LDSTTIM", "LDDOSE", "LDDOSEU")),
    ("inf", ("SITEID", "SUBJECT", "RECORDID", "INFDAT", "INFSTTIM", "INFDOSE", "INFDOSEU")),
    ("len", ("SITEID", "SUBJECT", "RECORDID", "LENSTDAT", "LENENDAT", "LENDOSE", "LENDOSEU", "LENFREQ")),
    ("pd1", ("SITEID", "SUBJECT", "RECORDID", "FOLDER", "PD1DAT", "PD1STTIM", "PD1DOSE", "PD1DOSEU")),
    (
        "ae",
        (
            "SITEID",
            "SUBJECT",
            "RECORDID",
            "AESPID",
            "AETERM",
            "AEDECOD",
            "AEBODSYS",
            "AELLT",
            "AELLTCD",
            "AEPTCD",
            "AEHLT",
            "AEHLTCD",
            "AEHLGT",
            "AEHLGTCD",
            "AESOCCD",
            "AESTDAT",
            "AESTTIM",
            "AEENDAT",
            "AEENTIM",
            "AEONGO",
            "AETOXGR",
            "AESER",
            "AESDTH",
            "AESCONG",
            "AESDISAB",
            "AESHOSP",
            "AESLIFE",
            "AESMIE",
            "AEREL_CART",
            "AEREL_LD",
            "AEREL_LEN",
            "AEREL_PD1",
            "AEACN",
            "AEOUT",
            "AESI",
            "AESICAT",
            "ASTCTGR",
        ),
    ),
    ("ds", ("SITEID", "SUBJECT", "RECORDID", "DSDAT", "DSSTATUS", "DSREAS")),
    ("dd", ("SITEID", "SUBJECT", "RECORDID", "DTHDAT", "DTHCAUS", "DTHCAUSO")),
    ("nact", ("SITEID", "SUBJECT", "RECORDID", "NACTTRT", "NACTDECOD", "NACTATC", "NACTATCCD", "NACTSTDAT")),
    (
        "tl",
        ("SITEID", "SUBJECT", "RECORDID", "FOLDER", "TADAT", "LESID", "LESLOC", "LESMETH", "LDIAM", "VDIAM", "TLNDRS"),
    ),
    ("ntl", ("SITEID", "SUBJECT", "RECORDID", "FOLDER", "TADAT", "LESID", "LESLOC", "LESMETH", "NTLSTAT")),
    ("nl", ("SITEID", "SUBJECT", "RECORDID", "FOLDER", "TADAT", "LESID", "LESLOC", "LESMETH")),
    (
        "rsp",
        (
            "SITEID",
            "SUBJECT",
            "RECORDID",
            "FOLDER",
            "TADAT",
            "CRIT",
            "SUMD",
            "TRGRESP",
            "NTRGRESP",
            "NEWLES",
            "OVRLRESP",
        ),
    ),
)
YES, NO = "Yes", "No"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NEVER = 10**6  # protocol day of an event that does not happen

# Response codes, as small integers while computing; written as the codes (or a label from the design).
CR, PR, SD, PD, NE, NONCRPD, NA = range(7)
_CODES = ("CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD", "NA")
# Non-target lesion status codes.
_PRESENT, _ABSENT, _UNEQ, _NOTEV = range(4)


# --------------------------------------------------------------------------------------------------- design
class _Design:
    """Access to the design dict with errors that name the missing key."""

    def __init__(self, d: dict):
        if not isinstance(d, dict):
            raise SpecError("the synth design must be a mapping")
        self.d = d

    def __call__(self, path: str):
        node = self.d
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise SpecError("missing key in the synth design", key=path)
            node = node[part]
        return node

    def get(self, path: str, default=None):
        try:
            return self(path)
        except SpecError:
            return default


def _weights(pairs, key: str = "") -> tuple[list, np.ndarray]:
    """[[value, weight], ...] -> (values, probabilities)."""
    try:
        values = [p[0] for p in pairs]
        w = np.array([float(p[-1]) for p in pairs])
    except (TypeError, IndexError, ValueError) as exc:
        raise SpecError(f"expected a list of [value, weight] pairs ({exc})", key=key) from exc
    if len(values) == 0 or w.sum() <= 0 or (w < 0).any():
        raise SpecError("weights must be non-negative with a positive sum", key=key)
    return values, w / w.sum()


def _choice(rng, probs: np.ndarray, n: int) -> np.ndarray:
    """n draws of an index with the given probabilities (inverse CDF, so stable across numpy versions)."""
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(probs) - 1)


def _pick(rng, pairs, n: int, key: str = "") -> np.ndarray:
    """n values drawn from [[value, weight], ...], as an object array."""
    values, p = _weights(pairs, key)
    return _obj(values)[_choice(rng, p, n)]


def _randint(rng, *lo_hi_n) -> np.ndarray:
    """``_randint(rng, lo, hi, n)``: n uniform integers in [lo, hi] (scalars or arrays); where hi < lo the result
    is lo (caller masks it). Variadic because most calls unpack a design pair, ``_randint(rng, *pair, n)``, and
    mypy cannot know that the pair has two items (it reports "Too many arguments", python/mypy#14648)."""
    lo, hi, n = lo_hi_n
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo + 1, 1)
    return lo + np.floor(rng.random(n) * span).astype(np.int64)


def _at_least(rng, hit: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """`hit`, topped up with random eligible rows to at least k (one per 10 eligible at most), so that a small
    study still shows the rare courses the design asks for."""
    k = min(k, int(eligible.sum()) // 10)
    short = k - int((hit & eligible).sum())
    if short > 0:
        pool = np.flatnonzero(eligible & ~hit)
        hit = hit.copy()
        hit[rng.choice(pool, size=min(short, len(pool)), replace=False)] = True
    return hit


def _uniform(rng, rng_pair, n: int) -> np.ndarray:
    lo, hi = (float(x) for x in rng_pair)
    return lo + (hi - lo) * rng.random(n)


def _minutes(hhmm: str) -> int:
    h, m = str(hhmm).split(":")
    return int(h) * 60 + int(m)


def _obj(values) -> np.ndarray:
    out: np.ndarray = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _blank(n: int) -> np.ndarray:
    return np.full(n, "", dtype=object)


def _istr(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).astype(str).astype(object)


def _num(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


# ----------------------------------------------------------------------------------------------- formatting
class _Fmt:
    """Dates (`DD-MMM-YYYY`, month in mixed case), partial dates and `HH:MM` times, built column-wise."""

    def __init__(self, rng, design: _Design, n_subjects: int):
        self.rng = rng
        first_day = np.datetime64(date.fromisoformat(str(design("calendar.first_screening"))), "D")
        self.epoch: np.int64 = first_day.astype(np.int64)
        cases, self.case_p = _weights(design.get("format.month_case", [["title", 1]]), "format.month_case")
        spell = {"title": list(_MONTHS), "upper": [m.upper() for m in _MONTHS], "lower": [m.lower() for m in _MONTHS]}
        try:
            self.months = np.array([spell[str(c)] for c in cases])  # case x month
        except KeyError as exc:
            raise SpecError(f"unknown month case {exc}; use title, upper or lower", key="format.month_case") from None
        self.times = _obj([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)])
        self.subject_case = _choice(rng, self.case_p, n_subjects)  # how each subject's dates are typed

    def _parts(self, abs_days: np.ndarray, who: np.ndarray):
        days: np.ndarray = abs_days.astype("datetime64[D]")
        month_start: np.ndarray = days.astype("datetime64[M]")
        y: np.ndarray = (days.astype("datetime64[Y]").astype(np.int64) + 1970).astype(str)
        m: np.ndarray = month_start.astype(np.int64) % 12
        d = np.strings.zfill(((days - month_start).astype(np.int64) + 1).astype(str), 2)
        mon = self.months[self.subject_case[np.asarray(who, dtype=np.int64)], m]
        return y, m, d, mon

    def date(self, abs_days, who, mask=None) -> np.ndarray:
        """Complete dates for absolute day numbers (days since 1970-01-01) of subjects `who`; blank where not mask."""
        abs_days = np.asarray(abs_days, dtype=np.int64)
        y, _, d, mon = self._parts(abs_days, who)
        txt = np.strings.add(np.strings.add(np.strings.add(d, "-"), np.strings.add(mon, "-")), y).astype(object)
        if mask is not None:
            txt[~np.asarray(mask, bool)] = ""
        return txt

    def partial(self, abs_days, who, style: np.ndarray, mask) -> np.ndarray:
        """Partial dates: style 0 `UN-MMM-YYYY`, 1 `UN-UNK-YYYY`, 2 `YYYY-MM`, 3 `YYYY`; blank where not mask."""
        abs_days = np.asarray(abs_days, dtype=np.int64)
        y, m, _, mon = self._parts(abs_days, who)
        mm = np.strings.zfill((m + 1).astype(str), 2)
        txt = np.select(
            [style == 0, style == 1, style == 2],
            [
                np.strings.add(np.strings.add("UN-", np.strings.add(mon, "-")), y),
                np.strings.add("UN-UNK-", y),
                np.strings.add(np.strings.add(y, "-"), mm),
            ],
            y,
        ).astype(object)
        txt[~np.asarray(mask, bool)] = ""
        return txt

    def time(self, minutes, mask=None) -> np.ndarray:
        minutes = np.clip(np.asarray(minutes, dtype=np.int64), 0, 1439)
        out = self.times[minutes]
        if mask is not None:
            out = np.where(np.asarray(mask, bool), out, "").astype(object)
        return out

    def clock(self, rng_pair, n: int) -> np.ndarray:
        return _randint(self.rng, _minutes(rng_pair[0]), _minutes(rng_pair[1]), n)


def _response_text(rng, codes: np.ndarray, design: _Design) -> np.ndarray:
    """Response codes -> text: the code, or now and then one of the design's labels for it."""
    labels = design.get("response.labels", {}) or {}
    label_p = float(design.get("response.label_p", 0.0))
    out = _obj(_CODES)[codes]
    use = rng.random(len(codes)) < label_p
    pick = rng.random(len(codes))
    for code_i, code in enumerate(_CODES):
        options = labels.get(code) or []
        sel = use & (codes == code_i)
        if options and sel.any():
            out[sel] = _obj(options)[np.minimum((pick[sel] * len(options)).astype(int), len(options) - 1)]
    return out


def _mess(rng, text: np.ndarray, spec: dict) -> np.ndarray:
    """Site mess on free text: some upper/lower case, some leading/trailing blanks."""
    n = len(text)
    u = rng.random(n)
    pad = rng.random(n)
    side = rng.random(n)
    s: np.ndarray = text.astype(str)
    p_up, p_low, p_pad = float(spec.get("upper", 0)), float(spec.get("lower", 0)), float(spec.get("pad", 0))
    s = np.where(u < p_up, np.strings.upper(s), np.where(u < p_up + p_low, np.strings.lower(s), s))
    s = np.where(pad < p_pad, np.where(side < 0.5, np.strings.add(" ", s), np.strings.add(s, " ")), s)
    return np.where(text == "", "", s).astype(object)


# ------------------------------------------------------------------------------------------------ collector
class _Rows:
    """Column chunks appended per visit/lesion slot, concatenated and sorted once."""

    def __init__(self):
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(self, **cols):
        n = len(next(iter(cols.values())))
        if n:
            self.chunks.append({k: np.asarray(v) if not np.isscalar(v) else np.full(n, v) for k, v in cols.items()})

    def frame(self, keys: list[str]) -> dict[str, np.ndarray]:
        if not self.chunks:
            return {}
        names = list(self.chunks[0])
        cols = {k: np.concatenate([c[k] for c in self.chunks]) for k in names}
        order = np.lexsort(tuple(cols[k] for k in reversed(keys)))
        return {k: v[order] for k, v in cols.items()}


def _form(name: str, subj_idx: np.ndarray, subjects: dict, cols: dict) -> pd.DataFrame:
    """A form's frame: SITEID, SUBJECT, RECORDID (1..n) then the given columns, all text, in layout order."""
    columns = dict(FORMS)[name]
    n = len(subj_idx)
    data = {
        "SITEID": subjects["siteid"][subj_idx],
        "SUBJECT": subjects["subject"][subj_idx],
        "RECORDID": _istr(np.arange(1, n + 1)),
    }
    for c in columns[3:]:
        v = cols.get(c)
        data[c] = (
            _blank(n) if v is None else (np.full(n, v, dtype=object) if np.isscalar(v) else np.asarray(v, dtype=object))
        )
    return pd.DataFrame({c: pd.array(data[c], dtype=object) for c in columns}, columns=list(columns))


# -------------------------------------------------------------------------------------------------- responses
def _target_response(has, miss, l_val, m_val, zero_ok, base, nadir):
    """RECIST 1.1-style target response from written values (rows = subjects, columns = lesion slots).

    NE if a target lesion was not assessed; CR if every lesion is gone (`zero_ok`); PD if the sum rose >= 20 %
    and >= 5 mm over the nadir (smallest earlier sum, baseline included); PR if the sum fell >= 30 % from
    baseline; SD otherwise. Returns (response code, sum, evaluable mask)."""
    ne = (has & miss).any(axis=1)
    total = np.where(has & ~miss, m_val, 0).sum(axis=1)
    cr = (~has | zero_ok).all(axis=1)
    pd_ = (10 * total >= 12 * nadir) & (total - nadir >= 5)
    pr = 10 * total <= 7 * base
    resp = np.select([ne, cr, pd_, pr], [NE, CR, PD, PR], SD)
    return resp, total, ~ne


def _overall(trg, ntrg, new):
    """Overall time-point response (RECIST 1.1 table, used for mRECIST too)."""
    return np.select(
        [
            new | (trg == PD) | (ntrg == PD),
            trg == NE,
            (trg == CR) & ((ntrg == CR) | (ntrg == NA)),
            (trg == CR) | (trg == PR),
        ],
        [PD, NE, CR, PR],
        SD,
    )


# ----------------------------------------------------------------------------------------------- generator
def generate_raw_export(design: dict, subjects: int, seed: int) -> dict[str, pd.DataFrame]:
    """The raw export of a synthetic study: form name (`dm`, `ae`, ...) -> frame of text columns.

    `subjects` is the number of subjects screened (dm rows); the same design, size and seed always give the
    same frames."""
    D = _Design(design)
    if int(subjects) < 1:
        raise SpecError("the number of subjects must be at least 1", key="subjects")
    N = int(subjects)
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    F = _Fmt(rng, D, N)
    out: dict[str, pd.DataFrame] = {}

    # ---- subjects, sites, consent calendar --------------------------------------------------------------
    sites = D("sites")
    site_ids = [str(s["siteid"]) for s in sites]
    site_idx = _choice(rng, _weights([[i, s.get("weight", 1)] for i, s in enumerate(sites)], "sites")[1], N)
    offset = np.sort(_randint(rng, 0, int(D("calendar.accrual_days")) - 1, N))
    order = np.lexsort((np.arange(N), site_idx))
    site_idx, offset = site_idx[order], offset[order]
    first_in_site = np.searchsorted(site_idx, site_idx, side="left")
    number = np.arange(N) - first_in_site + 1
    subj = {
        "siteid": _obj(site_ids)[site_idx],
        "subject": np.strings.add(
            np.strings.add(np.array(site_ids)[site_idx], "-"), np.strings.zfill(number.astype(str), 3)
        ).astype(object),
    }
    ic_abs = F.epoch + offset
    c2i = _randint(rng, *D("calendar.consent_to_infusion"), N)
    inf_abs = ic_abs + c2i  # planned/actual infusion date (day 0)
    ic_day = -c2i

    # ---- demographics ----------------------------------------------------------------------------------
    countries = D("countries")
    country = _obj([str(s["country"]) for s in sites])[site_idx]
    race, ethnic = _blank(N), _blank(N)
    for name in sorted({str(s["country"]) for s in sites}):
        sel = country == name
        if name not in countries:
            raise SpecError(f"country {name!r} of a site has no entry", key="countries")
        race[sel] = _pick(rng, countries[name]["race"], int(sel.sum()), f"countries.{name}.race")
        ethnic[sel] = _pick(rng, countries[name]["ethnic"], int(sel.sum()), f"countries.{name}.ethnic")
    age_spec = D("demographics.age")
    age = np.clip(rng.normal(age_spec["mean"], age_spec["sd"], N), age_spec["min"], age_spec["max"])
    birth_abs = ic_abs - np.floor(age * 365.25).astype(np.int64) - _randint(rng, 0, 364, N)
    sexes = D("demographics.sex")
    sex_i = _choice(rng, _weights([[s["label"], s.get("weight", 1)] for s in sexes], "demographics.sex")[1], N)
    styles, style_p = _weights(D("demographics.sex_style"), "demographics.sex_style")
    style = _obj(styles)[_choice(rng, style_p, N)]
    lab = np.array([str(s["label"]) for s in sexes])[sex_i]
    code = np.array([str(s["code"]) for s in sexes])[sex_i]
    sex = np.select(
        [style == "code_label", style == "upper", style == "lower"],
        [np.strings.add(np.strings.add(code, "="), lab), np.strings.upper(lab), np.strings.lower(lab)],
        lab,
    ).astype(object)
    out["dm"] = _form(
        "dm",
        np.arange(N),
        subj,
        {"BRTHDAT": F.date(birth_abs, np.arange(N)), "SEX": sex, "RACE": race, "ETHNIC": ethnic, "COUNTRY": country},
    )

    # ---- informed consent (re-consent rows added later) ------------------------------------------------
    ic_tim = F.clock(D("calendar.consent_time"), N)

    # ---- eligibility, cohorts, infusion ---------------------------------------------------------------
    sf = rng.random(N) < float(D("enrolment.screen_failure_rate"))
    enrolled = np.flatnonzero(~sf)
    nE = len(enrolled)
    cohorts = D("cohorts")
    coh_code = [str(c["code"]) for c in cohorts]
    coh_combo = np.array([str(c.get("combination", "none")) for c in cohorts])
    stages = sorted({int(c.get("stage", 1)) for c in cohorts})
    coh_stage = np.array([int(c.get("stage", 1)) for c in cohorts])
    coh_w = np.array([float(c.get("weight", 1)) for c in cohorts])
    stage_w = np.array([coh_w[coh_stage == s].sum() for s in stages])
    cohort: np.ndarray = np.full(N, -1, dtype=np.int64)
    if nE:
        acc_order = enrolled[np.lexsort((enrolled, offset[enrolled]))]  # enrolment order
        pos = (np.arange(nE) + 0.5) / nE
        stage_of = np.minimum(np.searchsorted(np.cumsum(stage_w) / stage_w.sum(), pos), len(stages) - 1)
        draw = rng.random(nE)
        for si, s in enumerate(stages):
            members = np.flatnonzero(coh_stage == s)
            p = coh_w[members] / coh_w[members].sum()
            sel = stage_of == si
            cohort[acc_order[sel]] = members[
                np.minimum(np.searchsorted(np.cumsum(p), draw[sel], side="right"), len(members) - 1)
            ]
    ni = D("enrolment.not_infused")
    k_ni = int(round(float(ni["rate"]) * nE))
    if nE >= int(ni.get("min_enrolled", 20)):
        k_ni = max(k_ni, 1)
    k_ni = min(k_ni, nE)
    not_inf: np.ndarray = np.zeros(N, bool)
    if k_ni:
        not_inf[np.sort(rng.choice(enrolled, size=k_ni, replace=False))] = True
    infused = (~sf) & ~not_inf
    enr_day = _randint(rng, *D("calendar.enrolment_day"), N)
    coh_safe = np.maximum(cohort, 0)
    dose_lvl = np.array([float(c["dose"]) for c in cohorts])[coh_safe]
    out["enr"] = _form(
        "enr",
        np.arange(N),
        subj,
        {
            "ELIGYN": np.where(sf, NO, YES).astype(object),
            "ENRDAT": F.date(inf_abs + enr_day, np.arange(N), ~sf),
            "COHORT": np.where(sf, "", _obj(coh_code)[coh_safe]).astype(object),
            "COHORTLBL": np.where(sf, "", _obj([str(c["label"]) for c in cohorts])[coh_safe]).astype(object),
            "DOSELVL": np.where(sf, "", _obj([_num(c["dose"]) for c in cohorts])[coh_safe]).astype(object),
        },
    )

    # ---- course of each infused subject: death/withdrawal before progression -----------------------------
    o = D("outcomes")
    completion = _randint(rng, *D("calendar.completion_day"), N)
    dn = o["death_without_pd"]
    hit = _at_least(rng, infused & (rng.random(N) < float(dn["p"])), infused, int(dn.get("min", 0)))
    death_np = np.where(hit, _randint(rng, *dn["day"], N), _NEVER)
    death_np_cause = _pick(rng, dn["causes"], N, "outcomes.death_without_pd.causes")
    wd = o["withdrawal"]
    hit = _at_least(rng, infused & (rng.random(N) < float(wd["p"])) & ~hit, infused & ~hit, int(wd.get("min", 0)))
    withdraw = np.where(hit, _randint(rng, *wd["day"], N), _NEVER)
    withdraw_status = _pick(rng, wd["statuses"], N, "outcomes.withdrawal.statuses")
    stop_pre = np.minimum(death_np, withdraw)

    # ---- tumour assessments -------------------------------------------------------------------------
    pd_day, tumour = _tumour(rng, D, F, subj, enrolled, infused, inf_abs, cohort, coh_code, stop_pre)
    out.update(tumour)
    # new anticancer therapy before progression (assessments go on; combination therapy stops)
    nact_spec = D("nact")
    nact_pre = _randint(rng, *nact_spec["before_pd_day"], N)
    can = infused & (nact_pre < pd_day) & (nact_pre < stop_pre)
    hit = _at_least(
        rng, can & (rng.random(N) < float(nact_spec["before_pd_p"])), can, int(nact_spec.get("before_pd_min", 0))
    )
    nact_pre = np.where(hit, nact_pre, _NEVER)

    # ---- deaths, disposition, new anticancer therapy ------------------------------------------------------
    dp = o["death_after_pd"]
    death_pd = np.where(
        infused & (pd_day < _NEVER) & (rng.random(N) < float(dp["p"])),
        pd_day + 1 + np.floor(rng.exponential(float(dp["mean_days"]), N)).astype(np.int64),
        _NEVER,
    )
    death_day = np.minimum(death_np, death_pd)
    dies = infused & (death_day <= completion) & (death_day < withdraw)
    death_day = np.where(dies, death_day, _NEVER)
    withdrawn = infused & ~dies & (withdraw < completion)
    end_day = np.where(dies, death_day, np.where(withdrawn, withdraw, completion))
    death_cause = np.where(death_pd < death_np, str(dp["cause"]), death_np_cause).astype(object)

    disp = D("disposition")
    ni_out = ni["outcomes"]
    ni_i = _choice(rng, _weights([[k, r[-1]] for k, r in enumerate(ni_out)], "enrolment.not_infused.outcomes")[1], N)
    ds_status = np.where(dies, str(disp["death"]), np.where(withdrawn, withdraw_status, str(disp["completed"]))).astype(
        object
    )
    ds_status[not_inf] = _obj([str(r[0]) for r in ni_out])[ni_i[not_inf]]
    ds_status[sf] = str(disp["screen_failure"])
    ds_reason = _blank(N)
    for st in sorted(set(ds_status[~sf & ~not_inf].tolist())):
        sel = (ds_status == st) & ~sf & ~not_inf
        pool = disp.get("reasons", {}).get(st)
        if pool:
            ds_reason[sel] = _pick(rng, pool, int(sel.sum()), f"disposition.reasons.{st}")
    ds_reason[not_inf] = _obj([str(r[1]) for r in ni_out])[ni_i[not_inf]]
    ds_reason[sf] = _pick(rng, D("enrolment.screen_failure_reasons"), int(sf.sum()), "enrolment.screen_failure_reasons")
    ds_abs = inf_abs + end_day
    ds_abs = np.where(not_inf, inf_abs + _randint(rng, *D("calendar.not_infused_day"), N), ds_abs)
    ds_abs = np.where(sf, ic_abs + _randint(rng, *D("calendar.screen_failure_days"), N), ds_abs)
    out["ds"] = _form(
        "ds", np.arange(N), subj, {"DSDAT": F.date(ds_abs, np.arange(N)), "DSSTATUS": ds_status, "DSREAS": ds_reason}
    )

    dd_idx = np.flatnonzero(dies)
    part = (death_pd[dd_idx] < death_np[dd_idx]) & (rng.random(len(dd_idx)) < float(o.get("dthdat_partial_p", 0)))
    dth_abs = inf_abs[dd_idx] + death_day[dd_idx]
    dthdat = np.where(
        part, F.partial(dth_abs, dd_idx, np.zeros(len(dd_idx), np.int64), part), F.date(dth_abs, dd_idx, ~part)
    )
    causes = death_cause[dd_idx]
    causo = _blank(len(dd_idx))
    for c in sorted(set(causes.tolist())):
        pool = D.get("death.cause_text", {}).get(c)
        if pool:
            causo[causes == c] = _pick(rng, pool, int((causes == c).sum()), f"death.cause_text.{c}")
    out["dd"] = _form("dd", dd_idx, subj, {"DTHDAT": dthdat.astype(object), "DTHCAUS": causes, "DTHCAUSO": causo})

    # informed consent: one row per subject, a second one (re-consent) for a few infused subjects
    rc_day = _randint(rng, *D("outcomes.reconsent_day"), N)
    rc = infused & (rng.random(N) < float(o.get("reconsent_p", 0))) & (rc_day < end_day)
    ic_rows = _Rows()
    ic_rows.add(subj=np.arange(N), day=ic_abs, tim=ic_tim)
    ic_rows.add(
        subj=np.flatnonzero(rc), day=(inf_abs + rc_day)[rc], tim=F.clock(D("calendar.consent_time"), int(rc.sum()))
    )
    r = ic_rows.frame(["subj", "day"])
    out["ic"] = _form("ic", r["subj"], subj, {"ICDAT": F.date(r["day"], r["subj"]), "ICTIM": F.time(r["tim"])})

    # new anticancer therapy: before progression (a few), after progression (many), sometimes a second line
    nact_first = np.where((nact_pre < pd_day) & (nact_pre < end_day), nact_pre, _NEVER)
    after = infused & (nact_first == _NEVER) & (pd_day < _NEVER) & (rng.random(N) < float(nact_spec["after_pd_p"]))
    nact_after = pd_day + _randint(rng, *nact_spec["after_pd_delay"], N)
    nact_first = np.where(after & (nact_after < end_day), nact_after, nact_first)
    second = nact_first + _randint(rng, *nact_spec["second_line_delay"], N)
    has2 = (nact_first < _NEVER) & (rng.random(N) < float(nact_spec["second_line_p"])) & (second < end_day)
    thers, ther_p = _weights(nact_spec["therapies"], "nact.therapies")
    t1 = _choice(rng, ther_p, N)
    t2 = (t1 + 1 + _randint(rng, 0, max(len(thers) - 2, 0), N)) % len(thers)
    nrows = _Rows()
    h1 = np.flatnonzero(nact_first < _NEVER)
    nrows.add(subj=h1, day=inf_abs[h1] + nact_first[h1], ther=t1[h1])
    h2 = np.flatnonzero(has2)
    nrows.add(subj=h2, day=inf_abs[h2] + second[h2], ther=t2[h2])
    r = nrows.frame(["subj", "day"])
    out["nact"] = _form(
        "nact",
        r.get("subj", np.zeros(0, np.int64)),
        subj,
        {
            "NACTTRT": _obj(thers)[r["ther"]] if r else _blank(0),
            "NACTSTDAT": F.date(r["day"], r["subj"]) if r else _blank(0),
        },
    )

    # ---- treatment: lymphodepletion, infusion, combination ---------------------------------------------
    I = np.flatnonzero(infused)
    ld = D("lymphodepletion")
    ld_days = [int(x) for x in ld["days"]]
    ld_start = F.clock(ld["start_time"], len(I) * len(ld_days)).reshape(len(I), len(ld_days))
    rows = _Rows()
    for di, drug in enumerate(ld["drugs"]):
        names = _pick(rng, drug["names"], len(I) * len(ld_days), f"lymphodepletion.drugs[{di}].names")
        for k, day in enumerate(ld_days):
            rows.add(
                subj=I,
                day=np.full(len(I), day),
                drug=np.full(len(I), di),
                name=names[k * len(I) : (k + 1) * len(I)],
                tim=ld_start[:, k] + int(drug.get("minutes_after_start", 0)),
                dose=np.full(len(I), _num(drug["dose"]), dtype=object),
                unit=np.full(len(I), str(drug["unit"]), dtype=object),
            )
    r = rows.frame(["subj", "day", "drug"])
    if r:
        out["ld"] = _form(
            "ld",
            r["subj"],
            subj,
            {
                "FOLDER": str(ld["folder"]),
                "LDTRT": r["name"],
                "LDDAT": F.date(inf_abs[r["subj"]] + r["day"], r["subj"]),
                "LDSTTIM": F.time(r["tim"]),
                "LDDOSE": r["dose"],
                "LDDOSEU": r["unit"],
            },
        )
    else:
        out["ld"] = _form("ld", np.zeros(0, np.int64), subj, {})

    inf = D("infusion")
    short = rng.random(len(I)) < float(inf.get("shortfall", {}).get("p", 0))
    frac = _uniform(rng, inf.get("shortfall", {}).get("fraction", [1, 1]), len(I))
    inf_dose = np.where(short, np.round(dose_lvl[I] * frac), dose_lvl[I])
    out["inf"] = _form(
        "inf",
        I,
        subj,
        {
            "INFDAT": F.date(inf_abs[I] + int(inf.get("day", 0)), I),
            "INFSTTIM": F.time(F.clock(inf["start_time"], len(I))),
            "INFDOSE": _istr(inf_dose),
            "INFDOSEU": str(inf["unit"]),
        },
    )

    comb = D("combination")
    max_day = int(comb["max_day"])
    combo = np.where(cohort >= 0, coh_combo[coh_safe], "none")
    comb_stop = np.minimum.reduce([pd_day, death_day, withdraw, nact_first])  # first event ending combination therapy
    comb_last = np.minimum(comb_stop - 1, max_day)  # last day a dose may be given
    out["len"], len_last = _lenvatinib(
        rng, F, subj, comb["len"], infused & (combo == "len"), inf_abs, pd_day, death_day, withdraw, nact_first, max_day
    )
    p1 = comb["pd1"]
    P = np.flatnonzero(infused & (combo == "pd1"))
    start, every = int(p1["start_day"]), int(p1["interval_days"])
    ncyc = np.where(comb_last[P] >= start, (comb_last[P] - start) // every + 1, 0)
    rows = _Rows()
    for c in range(int(ncyc.max()) if len(P) else 0):
        s = P[ncyc > c]
        rows.add(subj=s, cyc=np.full(len(s), c + 1), day=np.full(len(s), start + c * every))
    r = rows.frame(["subj", "cyc"])
    if r:
        cyc_txt = _obj([str(p1["folder"]).format(n=k) for k in range(int(r["cyc"].max()) + 1)])
        out["pd1"] = _form(
            "pd1",
            r["subj"],
            subj,
            {
                "FOLDER": cyc_txt[r["cyc"]],
                "PD1DAT": F.date(inf_abs[r["subj"]] + r["day"], r["subj"]),
                "PD1STTIM": F.time(F.clock(p1["start_time"], len(r["subj"]))),
                "PD1DOSE": _num(p1["dose"]),
                "PD1DOSEU": str(p1["unit"]),
            },
        )
    else:
        out["pd1"] = _form("pd1", np.zeros(0, np.int64), subj, {})
    pd1_last = np.where(
        combo == "pd1", np.where(comb_last >= start, start + (comb_last - start) // every * every, -_NEVER), -_NEVER
    )
    treat_last = np.where(combo == "len", len_last, pd1_last)

    # ---- adverse events --------------------------------------------------------------------------------
    out["ae"] = _adverse_events(
        rng,
        D,
        F,
        subj,
        I,
        cohort,
        coh_code,
        combo,
        ic_day,
        inf_abs,
        end_day,
        dies,
        death_cause,
        death_day,
        treat_last,
        min(ld_days),
        comb,
    )

    # ---- coding and seriousness criteria: added later to the CRF, so drawn from a child random stream; every
    # value the main stream produces stays the same for any size and seed ------------------------------------
    extra = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed)).spawn(1)[0]))
    _code_adverse_events(D, out["ae"])
    _seriousness_criteria(extra, D, out["ae"])
    _code_therapies(D, out["nact"])
    return {name: out[name] for name, _ in FORMS}


def synthetic_code(level: str, name: str) -> str:
    """Invented 8-digit dictionary code of a term: ``9`` + 7 digits of a SHA-256 of level and name (never a real
    MedDRA code, which starts with 1).

    >>> synthetic_code("PT", "Pyrexia") == synthetic_code("PT", "Pyrexia"), synthetic_code("PT", "Pyrexia")[0]
    (True, '9')
    """
    import hashlib

    digest = int(hashlib.sha256(f"{level}:{name}".encode()).hexdigest(), 16)
    return f"9{digest % 10_000_000:07d}"


def _code_adverse_events(D: _Design, ae: pd.DataFrame) -> None:
    """AELLT ... AESOCCD from AEDECOD (PT) and AEBODSYS (SOC) with the design's MedDRA hierarchy (in place)."""
    hierarchy = D.get("adverse_events.meddra", {}) or {}
    names: dict[tuple[str, str], str] = {}
    for pt, (hlt, hlgt) in hierarchy.items():
        for level, name in (("PT", pt), ("HLT", hlt), ("HLGT", hlgt)):
            names[(level, str(name))] = synthetic_code(level, str(name))
    for t in list(D("adverse_events.terms")) + list(D.get("adverse_events.fatal_terms", []) or []):
        if str(t["pt"]) not in hierarchy:
            raise SpecError(
                f"term {t['pt']!r} has no HLT/HLGT under adverse_events.meddra", key="adverse_events.meddra"
            )
        names[("SOC", str(t["soc"]))] = synthetic_code("SOC", str(t["soc"]))
    by_level: dict[str, dict[str, str]] = {}
    for (level, name), code in names.items():
        seen = by_level.setdefault(level, {})
        if code in seen.values():
            raise SpecError(f"synthetic {level} code collision for {name!r}", key="adverse_events.meddra")
        seen[name] = code
    pt, soc = ae["AEDECOD"], ae["AEBODSYS"]
    coded = pt != ""
    hlt = pt.map(lambda v: str(hierarchy[v][0]) if v in hierarchy else "")
    hlgt = pt.map(lambda v: str(hierarchy[v][1]) if v in hierarchy else "")
    ae["AELLT"] = pt.where(coded, "")
    ae["AELLTCD"] = pt.map(by_level["PT"]).where(coded, "")
    ae["AEPTCD"] = ae["AELLTCD"]
    ae["AEHLT"], ae["AEHLTCD"] = hlt, hlt.map(by_level["HLT"]).fillna("")
    ae["AEHLGT"], ae["AEHLGTCD"] = hlgt, hlgt.map(by_level["HLGT"]).fillna("")
    ae["AESOCCD"] = soc.map(by_level["SOC"]).where(coded, "").fillna("")


_CRITERIA = ("AESCONG", "AESDISAB", "AESHOSP", "AESLIFE", "AESMIE")


def _seriousness_criteria(rng, D: _Design, ae: pd.DataFrame) -> None:
    """SAE criteria consistent with AESER (in place): Yes/No for serious events (at least one Yes, AESDTH for fatal
    ones), No for the others."""
    spec = D.get("adverse_events.seriousness", {}) or {}
    n = len(ae)
    serious = (ae["AESER"] == YES).to_numpy()
    draws = {c: rng.random(n) < float(spec.get(c, 0.0)) for c in _CRITERIA}
    fatal = (ae["AESDTH"] == YES).to_numpy()
    none = serious & ~fatal & ~np.logical_or.reduce([draws[c] for c in _CRITERIA])
    fallback = str(spec.get("fallback", "AESHOSP"))
    if fallback not in _CRITERIA:
        raise SpecError(f"fallback must be one of {', '.join(_CRITERIA)}", key="adverse_events.seriousness.fallback")
    for c in _CRITERIA:
        yes = serious & (draws[c] | (none if c == fallback else False))
        ae[c] = np.where(yes, YES, NO).astype(object)


def _code_therapies(D: _Design, nact: pd.DataFrame) -> None:
    """NACTDECOD, NACTATC, NACTATCCD of the design's coded drugs; blank for procedures and regimens (in place)."""
    coding = D.get("nact.coding", {}) or {}
    for col, key in (("NACTDECOD", "decod"), ("NACTATC", "atc"), ("NACTATCCD", "atc_code")):
        nact[col] = nact["NACTTRT"].map(lambda v, k=key: str(coding[v][k]) if v in coding else "").astype(object)


def _lenvatinib(rng, F, subj, spec, mask, inf_abs, pd_day, death_day, withdraw, nact_first, max_day):
    """len.csv: dosing intervals from day 1 to progression, death, withdrawal, new therapy or month 12."""
    L = np.flatnonzero(mask)
    n = len(L)
    start = int(spec["start_day"])
    end = np.minimum.reduce([pd_day[L], death_day[L], withdraw[L], nact_first[L] - 1, np.full(n, max_day)])
    capped = (
        (end == max_day)
        & (pd_day[L] > max_day)
        & (death_day[L] > max_day)
        & (withdraw[L] > max_day)
        & (nact_first[L] - 1 > max_day)
    )
    ongoing = capped & (rng.random(n) < float(spec.get("ongoing_at_month12_p", 0)))
    doses, dose_p = _weights(spec["doses"], "combination.len.doses")
    dose1 = _obj([_num(x) for x in doses])[_choice(rng, dose_p, n)]
    intr = spec.get("interruption", {}) or {}
    stop1 = start + _randint(rng, *intr.get("after_days", [0, 0]), n)
    resume = stop1 + 1 + _randint(rng, *intr.get("gap_days", [0, 0]), n)
    interrupted = (rng.random(n) < float(intr.get("p", 0))) & (stop1 < end)
    two = interrupted & (resume <= end)
    reduced = two & (rng.random(n) < float(intr.get("reduce_p", 0)))
    dose2 = np.where(reduced, _num(spec.get("reduced_dose", doses[-1])), dose1).astype(object)
    ok = end >= start
    rows = _Rows()
    one_end = np.where(interrupted, stop1, end)
    s = ok
    rows.add(
        subj=L[s],
        k=np.zeros(s.sum(), np.int64),
        st=np.full(s.sum(), start),
        en=one_end[s],
        ongo=(ongoing & ~interrupted)[s],
        dose=dose1[s],
    )
    rows.add(
        subj=L[two & ok],
        k=np.ones((two & ok).sum(), np.int64),
        st=resume[two & ok],
        en=end[two & ok],
        ongo=ongoing[two & ok],
        dose=dose2[two & ok],
    )
    r = rows.frame(["subj", "k"])
    freq = spec["freq"]
    last = np.full(len(inf_abs), -_NEVER, dtype=np.int64)
    last[L] = np.where(ok, np.where(interrupted & ~two, stop1, end), -_NEVER)
    if not r:
        return _form("len", np.zeros(0, np.int64), subj, {}), last
    m = len(r["subj"])
    return _form(
        "len",
        r["subj"],
        subj,
        {
            "LENSTDAT": F.date(inf_abs[r["subj"]] + r["st"], r["subj"]),
            "LENENDAT": F.date(inf_abs[r["subj"]] + r["en"], r["subj"], ~r["ongo"]),
            "LENDOSE": r["dose"],
            "LENDOSEU": str(spec["unit"]),
            "LENFREQ": _pick(rng, freq, m, "combination.len.freq"),
        },
    ), last


# ---------------------------------------------------------------------------------------------- tumour model
def _tumour(rng, D, F, subj, enrolled, infused, inf_abs, cohort, coh_code, stop_pre):
    """tl, ntl, nl, rsp forms for enrolled subjects; returns (first RECIST 1.1 PD day or _NEVER, forms)."""
    N = len(inf_abs)
    E = enrolled
    nE = len(E)
    les = D("lesions")
    locs = les["locations"]
    loc_names = _obj([str(x["name"]) for x in locs])
    loc_viable = np.array([bool(x.get("viable", False)) for x in locs])
    loc_nodal = np.array([bool(x.get("nodal", False)) for x in locs])
    loc_lo = np.array([int(x["ldiam"][0]) for x in locs])
    loc_hi = np.array([int(x["ldiam"][1]) for x in locs])
    first = [i for i, x in enumerate(locs) if str(x["name"]) == str(les["first_target"])]
    if not first:
        raise SpecError("first_target is not one of the lesion locations", key="lesions.first_target")
    MT, MN = 5, 3
    tvals, tp = _weights(les["target_count"], "lesions.target_count")
    n_t = np.clip(np.array(tvals, dtype=np.int64)[_choice(rng, tp, nE)], 1, MT)
    nvals, npr = _weights(les["nontarget_count"], "lesions.nontarget_count")
    n_nt = np.clip(np.array(nvals, dtype=np.int64)[_choice(rng, npr, nE)], 0, MN)
    has_t = np.arange(MT)[None, :] < n_t[:, None]
    has_nt = np.arange(MN)[None, :] < n_nt[:, None]
    tw = np.array([float(x.get("target_weight", 1)) for x in locs])
    ntw = np.array([float(x.get("nontarget_weight", 1)) for x in locs])
    nw = np.array([float(x.get("new_weight", 1)) for x in locs])
    loc_t = _choice(rng, tw / tw.sum(), nE * MT).reshape(nE, MT)
    loc_t[:, 0] = first[0]
    loc_nt = _choice(rng, ntw / ntw.sum(), nE * MN).reshape(nE, MN)
    viable = loc_viable[loc_t]
    nodal = loc_nodal[loc_t]
    base_l = _randint(rng, loc_lo[loc_t].ravel(), loc_hi[loc_t].ravel(), nE * MT).reshape(nE, MT)
    vf0 = _uniform(rng, les["viable_fraction"], nE * MT).reshape(nE, MT)
    base_v = np.where(viable, np.maximum(np.rint(base_l * vf0), 1), 0).astype(np.int64)
    node_floor = _randint(rng, *les["nodal_normal"], nE * MT).reshape(nE, MT)
    meth_default = str(les["methods"]["default"])
    meth_viable = _pick(rng, les["methods"]["viable"], nE, "lesions.methods.viable")
    meth_t = np.where(viable, meth_viable[:, None], meth_default).astype(object)
    meth_nt = np.where(loc_viable[loc_nt], meth_viable[:, None], meth_default).astype(object)

    # response profile per subject
    prof = D("response.profiles")
    pw = np.array([[float(p["weights"].get(c, 0)) for p in prof] for c in coh_code])  # cohort x profile
    pw = pw / np.where(pw.sum(1, keepdims=True) > 0, pw.sum(1, keepdims=True), 1)
    u = rng.random(nE)
    cdf = np.cumsum(pw[np.maximum(cohort[E], 0)], axis=1)
    pi = np.minimum((u[:, None] >= cdf).sum(1), len(prof) - 1)

    def param(key, default=0.0):
        lo = np.array([float(p.get(key, [default, default])[0]) for p in prof])[pi]
        hi = np.array([float(p.get(key, [default, default])[1]) for p in prof])[pi]
        return lo + (hi - lo) * rng.random(nE)

    def scalar(key, default=0.0):
        return np.array([float(p.get(key, default)) for p in prof])[pi]

    complete = np.array([bool(p.get("complete", False)) for p in prof])[pi]
    depth, tn, regrow, necro = (
        param("depth"),
        np.maximum(param("nadir_day", 42), 1),
        param("regrowth"),
        param("necrosis"),
    )
    p_new, p_new_pd, p_ntl, p_abs = (
        scalar("new_lesion_p"),
        scalar("new_lesion_at_pd_p"),
        scalar("ntl_progression_p"),
        scalar("ntl_absent_p"),
    )
    sd = float(les.get("lesion_sd", 0.1))
    d_les = np.where(complete[:, None], -1.0, np.maximum(depth[:, None] + rng.normal(0, sd, (nE, MT)), -1.0))
    g_les = np.maximum(regrow[:, None] * (1 + rng.normal(0, 0.2, (nE, MT))), 0)
    n_les = np.clip(necro[:, None] + rng.normal(0, sd, (nE, MT)), 0, 1)
    n_les = np.where(complete[:, None], 1.0, n_les)
    absent_nt = rng.random((nE, MN)) < p_abs[:, None]
    cv = float(les.get("measurement_cv", 0.05))
    tstm_text, tstm_val = str(les["too_small"]["text"]), int(les["too_small"]["value"])
    st = les["ntl_status"]
    ntl_text = _obj([str(st["present"]), str(st["absent"]), str(st["progression"]), str(st["not_evaluated"])])
    nd_reasons = les["not_assessed_reasons"]
    newc_vals, newc_p = _weights(les["new_lesion_count"], "lesions.new_lesion_count")

    # visit slots: screening, then planned visits with an optional unscheduled one after each but the last
    vis = D("visits")
    win = int(vis["window"])
    planned = vis["planned"]
    K = len(planned)
    pdays = [int(v["day"]) for v in planned]
    uns = vis.get("unscheduled", {}) or {}
    margin = int(uns.get("margin", 14))
    missed = rng.random((nE, K)) < float(vis.get("missed_p", 0))
    dbl = _at_least(
        rng, rng.random(nE) < float(vis.get("double_missed_p", 0)), infused[E], int(vis.get("double_missed_min", 0))
    )
    if K >= 2:
        k0 = _randint(rng, 0, K - 2, nE)
        for k in range(K):
            missed[:, k] |= dbl & ((k0 == k) | (k0 + 1 == k))
    slots = []  # (folder, day array, exists mask)
    for k in range(K):
        day = pdays[k] + _randint(rng, -win, win, nE)
        slots.append((str(planned[k]["folder"]), day, ~missed[:, k]))
        if k < K - 1:
            day = _randint(rng, pdays[k] + margin, pdays[k + 1] - margin, nE)
            slots.append((str(uns["folder"]), day, rng.random(nE) < float(uns.get("p", 0))))
    folders = _obj([str(vis["screening"]["folder"])] + [s[0] for s in slots])

    tl, ntl, nl, rsp = _Rows(), _Rows(), _Rows(), _Rows()
    gidx = E  # global subject index per enrolled row
    scr_day = _randint(rng, *vis["screening"]["days"], nE)
    lesid_t = _obj([f"T{j + 1:02d}" for j in range(MT)])
    lesid_nt = _obj([f"NT{j + 1:02d}" for j in range(MN)])

    def emit_lesions(sel, slot, day, l_txt, v_txt, nd, status):
        for j in range(MT):
            m = sel & has_t[:, j]
            tl.add(
                subj=gidx[m],
                slot=np.full(m.sum(), slot),
                j=np.full(m.sum(), j),
                tad=inf_abs[gidx[m]] + day[m],
                loc=loc_names[loc_t[m, j]],
                meth=meth_t[m, j],
                l=l_txt[m, j],
                v=v_txt[m, j],
                nd=nd[m, j],
            )
        for j in range(MN):
            m = sel & has_nt[:, j]
            ntl.add(
                subj=gidx[m],
                slot=np.full(m.sum(), slot),
                j=np.full(m.sum(), j),
                tad=inf_abs[gidx[m]] + day[m],
                loc=loc_names[loc_nt[m, j]],
                meth=meth_nt[m, j],
                st=ntl_text[status[m, j]],
            )

    # baseline
    emit_lesions(
        np.ones(nE, bool),
        0,
        scr_day,
        base_l.astype(str).astype(object),
        np.where(viable, base_v.astype(str), "").astype(object),
        np.full((nE, MT), "", dtype=object),
        np.zeros((nE, MN), dtype=np.int64),
    )
    base_r = np.where(has_t, base_l, 0).sum(1)
    base_m = np.where(has_t, np.where(viable, base_v, base_l), 0).sum(1)
    nadir_r, nadir_m = base_r.copy(), base_m.copy()
    active = infused[E].copy()
    pd_day = np.full(N, _NEVER, dtype=np.int64)
    new_count = np.zeros(nE, np.int64)
    crit = D("response.criteria")
    for s, (_folder, day, exists) in enumerate(slots, start=1):
        t = day.astype(float)
        act = active & exists & (day < stop_pre[E])
        frac = np.clip(t / tn, 0, 1)[:, None]
        post = (np.maximum(t - tn, 0) / 30.0)[:, None]
        rel = np.maximum(1 + d_les * frac + g_les * post, 0)
        ldiam = base_l * rel * (1 + rng.normal(0, cv, (nE, MT)))
        ldiam = np.where(nodal, np.maximum(ldiam, node_floor), ldiam)
        l_int = np.rint(np.maximum(ldiam, 0)).astype(np.int64)
        tstm = ~nodal & (l_int > 0) & (l_int < tstm_val)
        l_val = np.where(tstm, tstm_val, l_int)
        vfrac = np.clip(vf0 * (1 - n_les * frac) + 0.5 * g_les * post, 0, 1)
        v_val = np.where(viable, np.minimum(np.rint(l_val * vfrac), l_val), 0).astype(np.int64)
        # one target lesion not assessed now and then
        nd_any = rng.random(nE) < float(les.get("not_assessed_p", 0))
        nd_j = np.floor(rng.random(nE) * n_t).astype(np.int64)
        miss = nd_any[:, None] & (np.arange(MT)[None, :] == nd_j[:, None])
        nd_txt = np.where(miss, _pick(rng, nd_reasons, nE, "lesions.not_assessed_reasons")[:, None], "").astype(object)
        l_txt = np.where(miss, "", np.where(tstm, tstm_text, l_val.astype(str))).astype(object)
        v_txt = np.where(viable & ~miss, v_val.astype(str), "").astype(object)
        # responses
        zero_r = np.where(nodal, l_val < 10, l_val == 0)
        zero_m = np.where(viable, v_val == 0, zero_r)
        trg_r, sum_r, ev_r = _target_response(has_t, miss, l_val, l_val, zero_r, base_r, nadir_r)
        m_val = np.where(viable, v_val, l_val)
        trg_m, sum_m, ev_m = _target_response(has_t, miss, l_val, m_val, zero_m, base_m, nadir_m)
        # non-target lesions
        status = np.where(absent_nt & (t >= tn)[:, None], _ABSENT, _PRESENT)
        status = np.where(rng.random((nE, MN)) < float(les.get("ntl_not_evaluated_p", 0)), _NOTEV, status)
        prog = (n_nt > 0) & (rng.random(nE) < p_ntl)
        prog_j = np.floor(rng.random(nE) * np.maximum(n_nt, 1)).astype(np.int64)
        status = np.where(prog[:, None] & (np.arange(MN)[None, :] == prog_j[:, None]), _UNEQ, status)
        st_has = np.where(has_nt, status, -1)
        ntrg = np.select(
            [n_nt == 0, (st_has == _UNEQ).any(1), (st_has == _NOTEV).any(1), (~has_nt | (status == _ABSENT)).all(1)],
            [NA, PD, NE, CR],
            NONCRPD,
        )
        new = (rng.random(nE) < p_new) | ((trg_r == PD) & (rng.random(nE) < p_new_pd))
        n_new = np.where(new, np.array(newc_vals, dtype=np.int64)[_choice(rng, newc_p, nE)], 0)
        new_loc = _choice(rng, nw / nw.sum(), nE * 2).reshape(nE, 2)
        ovr_r = _overall(trg_r, ntrg, new)
        ovr_m = _overall(trg_m, ntrg, new)
        if not act.any():
            continue
        # write
        emit_lesions(act, s, day, l_txt, v_txt, nd_txt, status)
        tad = inf_abs[gidx] + day
        for j in range(2):
            m = act & (n_new > j)
            nl.add(
                subj=gidx[m],
                slot=np.full(m.sum(), s),
                j=new_count[m] + j,
                tad=inf_abs[gidx[m]] + day[m],
                loc=loc_names[new_loc[m, j]],
                meth=np.where(loc_viable[new_loc[m, j]], meth_viable[m], meth_default),
            )
        new_count = new_count + np.where(act, n_new, 0)
        a = np.flatnonzero(act)
        for c, (trg, tot, ev, ovr) in enumerate(((trg_r, sum_r, ev_r, ovr_r), (trg_m, sum_m, ev_m, ovr_m))):
            rsp.add(
                subj=gidx[a],
                slot=np.full(len(a), s),
                c=np.full(len(a), c),
                tad=tad[a],
                sumd=np.where(ev[a], tot[a].astype(str), "").astype(object),
                trg=trg[a],
                ntrg=ntrg[a],
                new=np.where(new[a], YES, NO).astype(object),
                ovr=ovr[a],
            )
        nadir_r = np.where(act & ev_r, np.minimum(nadir_r, sum_r), nadir_r)
        nadir_m = np.where(act & ev_m, np.minimum(nadir_m, sum_m), nadir_m)
        pd_now = act & (ovr_r == PD)
        pd_day[gidx[pd_now]] = day[pd_now]
        active &= ~pd_now

    forms = {}
    r = tl.frame(["subj", "slot", "j"])
    forms["tl"] = (
        _form(
            "tl",
            r["subj"],
            subj,
            {
                "FOLDER": folders[r["slot"]],
                "TADAT": F.date(r["tad"], r["subj"]),
                "LESID": lesid_t[r["j"]],
                "LESLOC": r["loc"],
                "LESMETH": r["meth"],
                "LDIAM": r["l"],
                "VDIAM": r["v"],
                "TLNDRS": r["nd"],
            },
        )
        if r
        else _form("tl", np.zeros(0, np.int64), subj, {})
    )
    r = ntl.frame(["subj", "slot", "j"])
    forms["ntl"] = (
        _form(
            "ntl",
            r["subj"],
            subj,
            {
                "FOLDER": folders[r["slot"]],
                "TADAT": F.date(r["tad"], r["subj"]),
                "LESID": lesid_nt[r["j"]],
                "LESLOC": r["loc"],
                "LESMETH": r["meth"],
                "NTLSTAT": r["st"],
            },
        )
        if r
        else _form("ntl", np.zeros(0, np.int64), subj, {})
    )
    r = nl.frame(["subj", "slot", "j"])
    forms["nl"] = (
        _form(
            "nl",
            r["subj"],
            subj,
            {
                "FOLDER": folders[r["slot"]],
                "TADAT": F.date(r["tad"], r["subj"]),
                "LESID": np.strings.add("NEW", np.strings.zfill((r["j"] + 1).astype(str), 2)).astype(object),
                "LESLOC": r["loc"],
                "LESMETH": r["meth"],
            },
        )
        if r
        else _form("nl", np.zeros(0, np.int64), subj, {})
    )
    r = rsp.frame(["subj", "slot", "c"])
    if r:
        forms["rsp"] = _form(
            "rsp",
            r["subj"],
            subj,
            {
                "FOLDER": folders[r["slot"]],
                "TADAT": F.date(r["tad"], r["subj"]),
                "CRIT": _obj([str(crit["recist"]), str(crit["mrecist"])])[r["c"]],
                "SUMD": r["sumd"],
                "TRGRESP": _response_text(rng, r["trg"], D),
                "NTRGRESP": _response_text(rng, r["ntrg"], D),
                "NEWLES": r["new"],
                "OVRLRESP": _response_text(rng, r["ovr"], D),
            },
        )
    else:
        forms["rsp"] = _form("rsp", np.zeros(0, np.int64), subj, {})
    return pd_day, forms


# ------------------------------------------------------------------------------------------- adverse events
def _adverse_events(
    rng,
    D,
    F,
    subj,
    I,
    cohort,
    coh_code,
    combo,
    ic_day,
    inf_abs,
    end_day,
    dies,
    death_cause,
    death_day,
    treat_last,
    ld_first,
    comb,
):
    ae = D("adverse_events")
    terms = list(ae["terms"]) + list(ae.get("fatal_terms", []))
    nterm = len(ae["terms"])
    T = len(terms)
    is_p = np.array([("p" in t) for t in terms[:nterm]] + [False] * (T - nterm))
    nI = len(I)
    rows_subj, rows_term, rows_on, rows_mode = [], [], [], []
    # background events: Poisson count per subject, term by cohort weights
    cnt = rng.poisson(float(ae["background_mean"]), nI)
    bs = np.repeat(I, cnt)
    bterm = np.zeros(len(bs), np.int64)
    draw = rng.random(len(bs))
    for ci, cc in enumerate(coh_code):
        w = np.array(
            [
                0.0
                if is_p[k]
                else float(t.get("weight", 0))
                * (1.0 if not t.get("cohorts") else float(cc in [str(x) for x in t["cohorts"]]))
                * float((t.get("boost") or {}).get(cc, 1.0))
                for k, t in enumerate(terms[:nterm])
            ]
        )
        sel = cohort[bs] == ci
        if sel.any() and w.sum() > 0:
            bterm[sel] = np.minimum(np.searchsorted(np.cumsum(w / w.sum()), draw[sel], side="right"), nterm - 1)
    lo = np.array([int(terms[k]["onset"][0]) if k < nterm else 0 for k in range(T)])
    hi = np.array([int(terms[k]["onset"][1]) if k < nterm else 0 for k in range(T)])
    mode = np.where(
        rng.random(len(bs)) < float(ae.get("pretreatment_p", 0)),
        1,
        np.where(rng.random(len(bs)) < float(ae.get("late_p", 0)), 2, 0),
    )
    late_after = int(ae.get("late_after", 365))
    blo = np.select([mode == 1, mode == 2], [ic_day[bs] + 1, late_after + 1], np.maximum(lo[bterm], ic_day[bs] + 1))
    bhi = np.select([mode == 1, mode == 2], [ld_first - 1, end_day[bs]], np.minimum(hi[bterm], end_day[bs]))
    bon = _randint(rng, blo, bhi, len(bs))
    ok = blo <= bhi
    rows_subj.append(bs[ok])
    rows_term.append(bterm[ok])
    rows_on.append(bon[ok])
    rows_mode.append(mode[ok])
    # AESI terms: at most once per subject, probability by cohort
    for k in range(nterm):
        if not is_p[k]:
            continue
        p = np.array([float(terms[k]["p"].get(c, 0)) for c in coh_code])[np.maximum(cohort[I], 0)]
        s = I[rng.random(nI) < p]
        on = _randint(rng, lo[k], np.minimum(hi[k], end_day[s]), len(s))
        okk = on <= end_day[s]
        rows_subj.append(s[okk])
        rows_term.append(np.full(okk.sum(), k))
        rows_on.append(on[okk])
        rows_mode.append(np.zeros(okk.sum(), np.int64))
    # fatal events of deaths from an adverse event
    ae_cause = str(D("outcomes.death_without_pd.ae_cause"))
    fs = I[dies[I] & (death_cause[I] == ae_cause)]
    if T > nterm and len(fs):
        fw = np.array([float(t.get("weight", 1)) for t in terms[nterm:]])
        fterm = nterm + _choice(rng, fw / fw.sum(), len(fs))
        fon = np.maximum(death_day[fs] - _randint(rng, 0, 10, len(fs)), 1)
        rows_subj.append(fs)
        rows_term.append(fterm)
        rows_on.append(np.minimum(fon, death_day[fs]))
        rows_mode.append(np.full(len(fs), 3))
    s = np.concatenate(rows_subj).astype(np.int64)
    term = np.concatenate(rows_term).astype(np.int64)
    on = np.concatenate(rows_on).astype(np.int64)
    mode = np.concatenate(rows_mode).astype(np.int64)
    order = np.lexsort((term, on, s))
    s, term, on, mode = s[order], term[order], on[order], mode[order]
    n = len(s)
    fatal = mode == 3
    first = np.searchsorted(s, s, side="left")
    aespid = np.arange(n) - first + 1

    aesi_cat = _obj([str(t.get("aesi", "") or "") for t in terms])[term]
    astct = np.array([bool(t.get("astct", False)) for t in terms])[term]
    # grade and duration
    g = np.zeros(n, np.int64)
    gu = rng.random(n)
    for k in range(nterm):
        sel = term == k
        if sel.any():
            gw = np.array([float(x) for x in terms[k]["grades"]], dtype=float)
            g[sel] = 1 + np.minimum(np.searchsorted(np.cumsum(gw / gw.sum()), gu[sel], side="right"), len(gw) - 1)
    g[fatal] = 5
    dur_mean = np.array([float(t.get("duration", 7)) for t in terms])[term]
    en = on + np.floor(rng.exponential(1.0, n) * dur_mean).astype(np.int64)
    en = np.where(fatal, death_day[s], en)
    ongoing = (en > end_day[s]) & ~fatal
    # verbatim, coded terms
    variants = [[str(v) for v in (t.get("verbatim") or [t["pt"]])] for t in terms]
    offs = np.cumsum([0] + [len(v) for v in variants])
    flat = _obj([v for vs in variants for v in vs])
    nvar = np.array([len(v) for v in variants])
    verb = flat[offs[term] + np.minimum(np.floor(rng.random(n) * nvar[term]).astype(np.int64), nvar[term] - 1)]
    verb = _mess(rng, verb, ae.get("verbatim_mess", {}) or {})
    decod = _obj([str(t["pt"]) for t in terms])[term]
    bodsys = _obj([str(t["soc"]) for t in terms])[term]
    cand = np.flatnonzero(~fatal & (aesi_cat == ""))
    nblank = 0
    if len(cand):
        nblank = max(1, int((rng.random(len(cand)) < float(ae.get("blank_term_p", 0))).sum()))
        nblank = min(nblank, len(cand))
    if nblank:
        b = np.sort(rng.choice(cand, size=nblank, replace=False))
        verb[b] = ""
        decod[b] = ""
        bodsys[b] = ""
    # dates and times (partial dates only for non-AESI, non-fatal events)
    abs_on, abs_en = inf_abs[s] + on, inf_abs[s] + en
    styles, style_p = _weights(ae.get("partial_styles", [["day_unknown", 1]]), "adverse_events.partial_styles")
    style_code = np.array([["day_unknown", "month_unknown", "iso_month", "iso_year"].index(str(x)) for x in styles])
    can_partial = ~fatal & (aesi_cat == "")
    ps = can_partial & (rng.random(n) < float(ae.get("partial_start_p", 0)))
    pe = can_partial & ~ongoing & (rng.random(n) < float(ae.get("partial_end_p", 0)))
    sty_s = style_code[_choice(rng, style_p, n)]
    sty_e = style_code[_choice(rng, style_p, n)]
    stdat = np.where(ps, F.partial(abs_on, s, sty_s, ps), F.date(abs_on, s, ~ps))
    endat = np.where(pe, F.partial(abs_en, s, sty_e, pe), F.date(abs_en, s, ~pe & ~ongoing))
    tp = np.where(aesi_cat != "", float(ae.get("time_p_aesi", 0)), float(ae.get("time_p", 0)))
    st_clock = F.clock(["00:00", "23:59"], n)
    sttim = F.time(st_clock, (rng.random(n) < tp) & ~ps)
    en_clock = F.clock(["00:00", "23:59"], n)
    en_clock = np.where(en == on, np.maximum(st_clock, en_clock), en_clock)  # a same-day event ends after it starts
    entim = F.time(en_clock, (rng.random(n) < tp) & ~pe & ~ongoing)
    # grade text
    gstyles, gp = _weights(D("adverse_events.grade_style"), "adverse_events.grade_style")
    gtab = np.array([[str(st).format(g=k) for k in range(6)] for st in gstyles], dtype=object)
    toxgr = gtab[_choice(rng, gp, n), g]
    astctgr = np.where(astct, _obj([f"Grade {k}" for k in range(6)])[np.minimum(g, 4)], "").astype(object)
    ser_p = np.array([0.0] + [float(x) for x in D("adverse_events.serious_p_by_grade")])
    aeser = np.where(fatal | (rng.random(n) < ser_p[g]), YES, NO).astype(object)
    # relatedness per product: not applicable before the product was given / when not part of the cohort
    rel = ae["relatedness"]
    related_share = float(ae.get("related_share", 1.0))
    rel_p = {
        k: np.array([float((t.get("related") or {}).get(k, 0)) for t in terms])[term]
        for k in ("cart", "ld", "len", "pd1")
    }
    given = {
        "cart": on >= 0,
        "ld": on >= ld_first,
        "len": (combo[s] == "len") & (on >= int(comb["len"]["start_day"])),
        "pd1": (combo[s] == "pd1") & (on >= int(comb["pd1"]["start_day"])),
    }
    relcols = {}
    for k in ("cart", "ld", "len", "pd1"):
        u = rng.random(n)
        txt = np.where(
            u < related_share * rel_p[k],
            str(rel["related"]),
            np.where(u < rel_p[k], str(rel["possibly"]), str(rel["not_related"])),
        )
        relcols[k] = np.where(given[k], txt, str(rel["na"])).astype(object)
    comb_start = np.where(combo[s] == "len", int(comb["len"]["start_day"]), int(comb["pd1"]["start_day"]))
    on_combo = (combo[s] != "none") & (on >= comb_start) & (on <= treat_last[s])
    acn = np.where(on_combo, _pick(rng, ae["actions"], n, "adverse_events.actions"), str(ae["action_na"])).astype(
        object
    )
    aeout = np.where(
        fatal,
        str(ae["outcome_fatal"]),
        np.where(
            ongoing,
            _pick(rng, ae["outcome_ongoing"], n, "adverse_events.outcome_ongoing"),
            _pick(rng, ae["outcome_resolved"], n, "adverse_events.outcome_resolved"),
        ),
    ).astype(object)
    return _form(
        "ae",
        s,
        subj,
        {
            "AESPID": _istr(aespid),
            "AETERM": verb,
            "AEDECOD": decod,
            "AEBODSYS": bodsys,
            "AESTDAT": stdat.astype(object),
            "AESTTIM": sttim,
            "AEENDAT": endat.astype(object),
            "AEENTIM": entim,
            "AEONGO": np.where(ongoing, YES, "").astype(object),
            "AETOXGR": toxgr,
            "AESER": aeser,
            "AESDTH": np.where(fatal, YES, NO).astype(object),
            "AEREL_CART": relcols["cart"],
            "AEREL_LD": relcols["ld"],
            "AEREL_LEN": relcols["len"],
            "AEREL_PD1": relcols["pd1"],
            "AEACN": acn,
            "AEOUT": aeout,
            "AESI": np.where(aesi_cat != "", YES, NO).astype(object),
            "AESICAT": aesi_cat,
            "ASTCTGR": astctgr,
        },
    )


# ------------------------------------------------------------------------------------------------- writing
def load_design(design_path: Path) -> dict:
    """The design YAML as a dict (SpecError when unreadable)."""
    design_path = Path(design_path)
    try:
        with open(design_path, encoding="utf-8") as fh:
            design = yaml.safe_load(fh)
    except OSError as exc:
        raise SpecError(f"cannot read the synth design: {exc}", file=design_path) from exc
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise SpecError(f"invalid YAML: {exc}", file=design_path, line=None if line is None else line + 1) from exc
    if not isinstance(design, dict):
        raise SpecError("the synth design must be a mapping", file=design_path)
    return design


def write_raw_export(design_path: Path, out_dir: Path, subjects: int, seed: int) -> list[Path]:
    """Generate and write `<form>.csv` files (UTF-8, `\\n` line ends) into out_dir; returns their paths.

    Files are written into a temporary folder inside out_dir and then moved into place, so a failed run
    never leaves a half-written export."""
    design = load_design(design_path)
    try:
        forms = generate_raw_export(design, subjects, seed)
    except SpecError as exc:
        if exc.file is None:
            exc.file = Path(design_path)
            exc.args = (exc._format(),)
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SpecError(f"the synth design is incomplete or malformed: {exc!r}", file=design_path) from exc
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".synth-tmp-", dir=out_dir))
    try:
        for name, frame in forms.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
        paths = []
        for name in forms:
            dest = out_dir / f"{name}.csv"
            os.replace(tmp / f"{name}.csv", dest)
            paths.append(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return paths
