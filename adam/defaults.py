"""Documented defaults of every ADaM rule (docs/adam.md), neutral to study, therapy and therapeutic area.

A study adds what is its own (treatments, extra ADSL/ADAE variables, AESI, criteria, time origins) in
``mappings/<study>/adam.yaml``; nothing here names a product, a disease or a grading scale other than the
SDTM/ADaM standard variables. The response rules (criteria, confirmation, new-therapy cut-off, PFS and duration
of response) run only where the SDTM has RS. Sources of each default: RECIST 1.1 (Eisenhauer et al., Eur J
Cancer 2009;45:228-247), FDA guidance "Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics"
(2018), admiral/admiralonco templates for the ADSL/ADAE conventions.

>>> DEFAULTS["anl_before_new_therapy"], DEFAULTS["os_origin"], [c["label"] for c in DEFAULTS["criteria"]]
(True, 'TRTSDT', ['RECIST 1.1'])
"""

from __future__ import annotations

import copy

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
    "evntdesc": "ALIVE WITHOUT PROGRESSION",
    "cnsdtdsc": "LAST ADEQUATE TUMOR ASSESSMENT",
    "srcdom": "ADRS",
    "srcvar": "ADT",
    "srcseq": "ASEQ",
}


def _fresh(*sources: dict) -> list[dict]:
    return copy.deepcopy(list(sources))


DEFAULTS: dict = {
    # ---- reference dates (ADSL) and time origins
    "origin": "TRTSDT",  # start of response assessment, PFS (and the SD minimum, timepoint days)
    "os_origin": "TRTSDT",  # STARTDT of OS
    # how each ADSL date used as a time origin is named in ADTTE STARTDSC, define.xml and the report
    "origin_labels": {
        "TRTSDT": "first dose of study treatment",
        "RANDDT": "randomisation",
        "ENRLDT": "enrolment",
    },
    # filters are declarative conditions {COLUMN: value | [values] | null | {not: ...} | ...}, never code
    "trtsdt_where": None,  # EX records defining TRTSDT/TRTSDTM; None = all EX
    "trtedt_where": None,  # EX records defining TRTEDT; None = all EX
    "enrolment_dsdecod": ["ENROLLED", "ENTERED INTO TRIAL"],
    "randomisation_dsdecod": ["RANDOMIZED"],
    "consent_dsdecod": ["INFORMED CONSENT OBTAINED"],
    "screen_failure_values": ["SCREEN FAILURE", "SCRNFAIL", "NOT ASSIGNED", "NOTASSGN"],
    "not_treated_values": ["NOT TREATED", "NOTTRT"],
    "eosstt_not_applicable": ["SCREEN FAILURE"],  # latest DS DSDECOD giving empty EOSSTT/EOSDT/DCSREAS (admiral)
    "treatment_order": [],  # TRT01PN/TRT01AN order of ARM values; [] = alphabetical
    "age_cutoffs": [65],  # AGEGR1: <65, >=65
    "age_group_labels": None,  # labels of the AGEGR1 groups (len(cutoffs) + 1); None = "<c1", "c1-<c2", ">=cn"
    "death_generic_terms": ["DEATH", "DIED", "SUBJECT DIED", "PATIENT DIED", "DEAD"],  # DS DSTERM not a cause
    "death_impute": "first",  # partial DTHDTC: first day of the missing period, not before last alive date
    "efffl_requires_target": False,  # EFFFL = SAFFL (true: and a TARGET lesion in TU on/before origin)
    # LSTALVDT = latest date among these sources (admiral derive_vars_extreme_event style), not after death.
    # Complete dates only; each source: {dataset, date, where}.
    "lstalvdt_sources": [
        {"dataset": "AE", "date": "AESTDTC"},
        {"dataset": "AE", "date": "AEENDTC"},
        {"dataset": "EX", "date": "EXSTDTC"},
        {"dataset": "EX", "date": "EXENDTC"},
        {"dataset": "LB", "date": "LBDTC"},
        {"dataset": "VS", "date": "VSDTC"},
        {"dataset": "DS", "where": {"DSDECOD": {"not": "DEATH"}}, "date": "DSSTDTC"},
    ],
    # Study-declared ADSL variables: [{name, label, type Char/Num/Date, source DM/SUPPDM/<domain>, value | qnam |
    # date, where, pick first/last, method}]
    "adsl_vars": [],
    # ---- ADAE
    "teae_window_start": "TRTSDT",  # TEAE window start (ADSL date column); onset on or after it
    "teae_window_ref": "TRTEDT",  # window end = teae_window_ref + teae_window_days (admiral template: TRTEDT + 30)
    "teae_window_days": 30,
    # partial AE dates (admiral derive_vars_dt): the imputed date never passes a bound lying inside the period the
    # partial date allows; bounds are ADAE columns or ADSL dates (ISO 8601 ones count only when complete)
    "ae_start_imputation": {
        "highest_imputation": "M",
        "date_imputation": "first",
        "min_dates": ["TRTSDT"],
        "max_dates": ["AEENDTC", "DTHDT"],
    },
    "ae_end_imputation": {
        "highest_imputation": "M",
        "date_imputation": "last",
        "min_dates": ["AESTDTC"],
        "max_dates": ["DTHDT"],
    },
    "ae_missing_start_is_teae": True,  # onset unknown and end unknown/after window start -> treatment-emergent
    "aesi": [],  # AESI categories by MedDRA PT: [{category, pt: [...]}] (besides SUPPAE AESI/AESICAT)
    # Treatments whose relationship to each AE is collected: the first gives AREL, the others AREL<suffix>.
    # ``relationship`` names an AE column or a SUPPAE QNAM.
    "treatments": [{"name": "study treatment", "relationship": "AEREL"}],
    # Study-declared ADAE variables from AE/SUPPAE columns: [{name, label, from, grade: true/false, method}]
    # (grade: the digits are kept, <name>N is added)
    "adae_vars": [],
    # ---- ADRS (only where RS exists)
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
    ],
    "rs_where": None,  # extra filter on RS (e.g. {RSEVAL: INVESTIGATOR})
    "confirmation_days": 28,  # RECIST 1.1 section 4.6: confirmation no less than 4 weeks later
    "max_ne_between": 1,
    "min_sd_days": 42,  # SD counts when ADT - origin >= min_sd_days (RECIST 1.1: protocol-defined, often 6 weeks)
    "pr_after_cr_breaks_confirmation": False,
    "accept_sd_between": False,  # SD between a PR and its confirmation keeps the PR confirmable
    "unconfirmed_as_sd": True,  # unconfirmed CR/PR -> SD when min_sd_days met, else NE
    "missing_as_ne": False,  # no post-baseline assessment: BOR NE (True) or MISSING (False)
    "anl_after_origin": True,  # assessments used: ADT > origin
    "anl_worst_per_date": True,  # one response per date: the worst
    "anl_up_to_first_pd": True,  # up to and including the first PD
    "anl_before_new_therapy": True,  # FDA 2018: assessments after new anticancer therapy do not count for response
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
    "pfs_censor_new_therapy": True,  # FDA 2018 table: new anticancer therapy before PD -> censored at last assessment
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
                    "evntdesc": "NO ADEQUATE POST-BASELINE ASSESSMENT",
                    "cnsdtdsc": "TIME ORIGIN (NO ADEQUATE POST-BASELINE ASSESSMENT)",
                    "srcdom": "ADSL",
                    "srcvar": "{origin}",
                }
            ],
        },
        {
            "paramcd": "RSD",
            "param": "Duration of Response, {crit} (days)",
            "per_criterion": True,
            "start": {
                "dataset": "ADRS",
                "where": {"PARAMCD": "{p}CRSP", "AVALC": "Y"},
                "date": "ADT",
                "desc": "first documented confirmed response (CR/PR)",
            },
            "censoring_rules": True,
            "events": _fresh(_PD_EVENT, _DEATH_EVENT),
            "censors": _fresh(_LAST_ADEQUATE),
        },
        {
            "paramcd": "OS",
            "param": "Overall Survival (days)",
            "per_criterion": False,
            "only_with": "RS",
            "start": {"dataset": "ADSL", "date": "{os_origin}"},
            "censoring_rules": False,
            "events": _fresh(_DEATH_EVENT),
            "censors": [
                {
                    "dataset": "ADSL",
                    "date": "LSTALVDT",
                    "censor": 1,
                    "evntdesc": "ALIVE",
                    "cnsdtdsc": "LAST KNOWN ALIVE DATE",
                    "srcdom": "ADSL",
                    "srcvar": "LSTALVDT",
                }
            ],
        },
    ],
}
