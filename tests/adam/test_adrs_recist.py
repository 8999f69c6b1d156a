"""Table-driven RECIST 1.1 scenarios worked out by hand.

Days are days after the infusion (origin TRTSDT, day 0): ADT - origin = day. Defaults: confirmation 28 days,
at most 1 NE between, SD needs ADT - origin >= 42, PFS censored after 2 missed assessments
(gap > 2 x 42 + 7 = 91 days) and at new anticancer therapy.
"""

from __future__ import annotations

import pytest
from sdtm_factory import STUDY_PARAMS, make_sdtm, missing_as_none, subject

from cdisckit.adam import derive_adam, load_params

SCENARIOS = [
    # id, RECIST responses, extra subject kwargs, params, expected {PARAMCD: AVALC}, expected PFS (AVAL, CNSR)
    (
        "confirmed PR",
        [(42, "PR"), (84, "PR")],
        {},
        {},
        {"BOR": "PR", "CBOR": "PR", "RSP": "Y", "CRSP": "Y", "CCB": "Y"},
        (85, 1),
    ),
    (
        "PR then PD, PR late enough -> SD",
        [(42, "PR"), (84, "PD")],
        {},
        {},
        {"BOR": "PR", "CBOR": "SD", "CRSP": "N", "CCB": "Y", "PD": "Y"},
        (85, 0),
    ),
    (
        "PR then PD, PR too early -> PD",
        [(35, "PR"), (63, "PD")],
        {},
        {},
        {"BOR": "PR", "CBOR": "PD", "RSP": "Y", "CRSP": "N", "CCB": "N"},
        (64, 0),
    ),
    (
        "CR NE CR confirmed",
        [(42, "CR"), (84, "NE"), (126, "CR")],
        {},
        {},
        {"BOR": "CR", "CBOR": "CR", "CRSP": "Y"},
        (127, 1),
    ),
    (
        "PR NE NE PR not confirmed",
        [(42, "PR"), (84, "NE"), (126, "NE"), (168, "PR")],
        {},
        {},
        {"BOR": "PR", "CBOR": "SD", "CRSP": "N"},
        (169, 1),
    ),
    (
        "PR NE NE PR confirmed with max_ne_between 2",
        [(42, "PR"), (84, "NE"), (126, "NE"), (168, "PR")],
        {},
        {"max_ne_between": 2},
        {"CBOR": "PR", "CRSP": "Y"},
        (169, 1),
    ),
    ("SD too early only", [(30, "SD")], {}, {}, {"BOR": "NE", "CBOR": "NE", "CB": "N"}, (31, 1)),
    ("SD too early then PD", [(30, "SD"), (60, "PD")], {}, {}, {"BOR": "PD", "CBOR": "PD"}, (61, 0)),
    ("SD at day 42 counts", [(42, "SD")], {}, {}, {"BOR": "SD", "CB": "Y"}, (43, 1)),
    ("PD at first assessment", [(42, "PD")], {}, {}, {"BOR": "PD", "CBOR": "PD", "PD": "Y", "LSTA": "PD"}, (43, 0)),
    ("no post-baseline assessment", [], {}, {}, {"BOR": "MISSING", "CBOR": "MISSING", "RSP": "N", "PD": "N"}, (1, 2)),
    ("no assessment, missing_as_ne", [], {}, {"missing_as_ne": True}, {"BOR": "NE"}, (1, 2)),
    ("death without PD", [(42, "SD")], {"death": 70}, {}, {"BOR": "SD", "PD": "N", "DEATH": "Y"}, (71, 0)),
    (  # FDA 2018: assessments after new anticancer therapy do not count (the PD on day 126 is not used) and
        # PFS is censored at the last adequate assessment before the therapy (day 84)
        "new anticancer therapy before PD",
        [(42, "SD"), (84, "SD"), (126, "PD")],
        {"new_therapy": 100},
        {},
        {"PD": "N", "BOR": "SD"},
        (85, 3),
    ),
    (  # a PR confirmed only by a scan after new anticancer therapy is not confirmed: SD (day 42 >= 42)
        "PR confirmed after new therapy is SD",
        [(42, "PR"), (84, "PR")],
        {"new_therapy": 60},
        {},
        {"BOR": "PR", "CBOR": "SD", "CRSP": "N", "RSP": "Y"},
        (43, 3),
    ),
    (  # the old rule, as a parameter: the scan after new therapy confirms the PR
        "cut-off at new therapy off",
        [(42, "PR"), (84, "PR")],
        {"new_therapy": 60},
        {"anl_before_new_therapy": False},
        {"CBOR": "PR", "CRSP": "Y"},
        (43, 3),
    ),
    (
        "new therapy rules off",
        [(42, "SD"), (84, "SD"), (126, "PD")],
        {"new_therapy": 100},
        {"pfs_censor_new_therapy": False, "anl_before_new_therapy": False},
        {},
        (127, 0),
    ),
    ("two missed assessments before PD", [(42, "SD"), (180, "PD")], {}, {}, {"BOR": "SD"}, (43, 4)),
    ("missed rule off", [(42, "SD"), (180, "PD")], {}, {"pfs_missed_assessments": 0}, {}, (181, 0)),
    ("one missed assessment before PD is an event", [(42, "SD"), (126, "PD")], {}, {}, {}, (127, 0)),
    ("death long after last assessment censored", [(42, "SD")], {"death": 200}, {}, {"DEATH": "Y"}, (43, 4)),
    (
        "confirmation_days 56 changes the answer",
        [(42, "PR"), (84, "PR")],
        {},
        {"confirmation_days": 56},
        {"BOR": "PR", "CBOR": "SD", "CRSP": "N"},
        (85, 1),
    ),
    ("CR then PR confirms PR by default", [(42, "CR"), (84, "PR")], {}, {}, {"CBOR": "PR"}, (85, 1)),
    (
        "CR then PR breaks when configured",
        [(42, "CR"), (84, "PR")],
        {},
        {"pr_after_cr_breaks_confirmation": True},
        {"CBOR": "SD"},
        (85, 1),
    ),
    ("worst response per date", [(42, "PR"), (42, "PD")], {}, {}, {"BOR": "PD"}, (43, 0)),
    (
        "assessments after first PD ignored",
        [(42, "PD"), (84, "PR"), (126, "PR")],
        {},
        {},
        {"BOR": "PD", "RSP": "N"},
        (43, 0),
    ),
    ("NE only", [(42, "NE")], {}, {}, {"BOR": "NE"}, (1, 2)),
    # missed assessments, schedule-aware (default timepoints 42/84/126 +/-7, 182/273/365 +/-14): LA day 126, PD day
    # 230: planned days strictly inside (126 + w, 230 - w) are 182 only -> 1 missed < 2 -> event
    (
        "schedule: one planned visit missed after W18 is an event",
        [(42, "SD"), (84, "SD"), (126, "SD"), (230, "PD")],
        {},
        {},
        {"PD": "Y"},
        (231, 0),
    ),
    # without timepoints the interval rule applies: 230 - 126 = 104 > 2 x 42 + 7 -> censored at day 126
    (
        "no timepoints: interval rule censors the same PD",
        [(42, "SD"), (84, "SD"), (126, "SD"), (230, "PD")],
        {},
        {"timepoints": []},
        {"PD": "Y"},
        (127, 4),
    ),
    # LA day 42, PD day 180: 84 and 126 lie in (49, 173); 182 +/- 14 does not (168 > 166) -> 2 missed -> censored
    ("schedule: W12 and W18 missed", [(42, "SD"), (180, "PD")], {}, {}, {}, (43, 4)),
    # event inside the M6 window (day 175): 182 is that assessment, only W18 missed -> event
    ("schedule: event inside a planned window", [(42, "SD"), (84, "SD"), (175, "PD")], {}, {}, {}, (176, 0)),
    ("min_sd_days 35: SD at day 36 counts", [(36, "SD")], {}, {"min_sd_days": 35}, {"BOR": "SD", "CB": "Y"}, (37, 1)),
    ("min_sd_days 35: SD at day 34 does not", [(34, "SD")], {}, {"min_sd_days": 35}, {"BOR": "NE", "CB": "N"}, (35, 1)),
]


def run(responses, extra=None, params=None, mrecist=None):
    p = load_params()
    p.update(STUDY_PARAMS)
    p.update(params or {})
    s = subject("001", recist=responses, mrecist=mrecist or [], **(extra or {}))
    other = subject("999", recist=[(42, "SD")])  # keeps RS present when subject 001 has no assessment
    warnings = []
    out = derive_adam(make_sdtm([s, other]), p, warn=warnings.append)
    return {k: v[v["USUBJID"] == "C-CAR031-001"].reset_index(drop=True) for k, v in out.items()}, warnings


@pytest.mark.parametrize("name,responses,extra,params,expected,pfs", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_recist_scenario(name, responses, extra, params, expected, pfs):
    out, _ = run(responses, extra, params)
    adrs = out["ADRS"]
    got = dict(zip(adrs["PARAMCD"], adrs["AVALC"]))
    for code, value in expected.items():
        assert got.get(code) == value, (code, got.get(code))
    t = out["ADTTE"].set_index("PARAMCD").loc["PFS"]
    assert (t["AVAL"], t["CNSR"]) == pfs


def test_ovr_anl01fl_and_visits():
    out, _ = run([(-3, "SD"), (40, "PR"), (40, "PD"), (90, "PR")])
    ovr = out["ADRS"][out["ADRS"]["PARAMCD"] == "OVR"]
    assert ovr["AVALC"].tolist() == ["SD", "PR", "PD", "PR"]
    assert missing_as_none(ovr["ANL01FL"].tolist()) == [
        None,
        None,
        "Y",
        None,
    ]  # before origin; PD worse than PR same day; after PD
    assert ovr["AVISIT"].tolist() == ["BASELINE", "WEEK 6", "WEEK 6", "WEEK 12"]
    assert ovr["ADY"].tolist() == [-3.0, 41.0, 41.0, 91.0]
    assert ovr["SRCDOM"].eq("RS").all() and ovr["SRCSEQ"].notna().all()


def test_bor_adt_is_first_best_assessment_and_aval_codes():
    out, _ = run([(42, "SD"), (84, "PR"), (126, "PR")])
    a = out["ADRS"].set_index("PARAMCD")
    assert a.loc["BOR", "AVALC"] == "PR" and a.loc["BOR", "AVAL"] == 2.0 and a.loc["BOR", "ADY"] == 85.0
    assert a.loc["CRSP", "ADY"] == 85.0 and a.loc["RSP", "AVAL"] == 1.0


def test_timepoint_flags():
    # W6 PR, W12 SD, W18 missed (no assessment), M6 PD
    out, _ = run([(40, "PR"), (86, "SD"), (180, "PD")])
    g = dict(zip(out["ADRS"]["PARAMCD"], out["ADRS"]["AVALC"]))
    assert [g[f"RSP{t}"] for t in ("W6", "W12", "W18", "M6", "M9", "M12")] == ["Y", "N", "N", "N", "N", "N"]
    assert [g[f"DC{t}"] for t in ("W6", "W12", "W18", "M6", "M9", "M12")] == ["Y", "Y", "N", "N", "N", "N"]


def test_timepoint_closest_assessment_in_window():
    out, _ = run([(37, "SD"), (45, "PR")])  # both in the W6 window; day 45 is closer to 42
    g = dict(zip(out["ADRS"]["PARAMCD"], out["ADRS"]["AVALC"]))
    assert g["RSPW6"] == "Y"


def test_mrecist_params_prefixed_and_independent():
    out, _ = run([(42, "SD"), (84, "SD")], mrecist=[(42, "PR"), (84, "CR")])
    a = out["ADRS"]
    g = dict(zip(a["PARAMCD"], a["AVALC"]))
    assert g["BOR"] == "SD" and g["MBOR"] == "CR" and g["MCBOR"] == "PR" and g["MCRSP"] == "Y"
    assert set(a.loc[a["PARAMCD"].str.startswith("M") & (a["PARAMCD"] != "MDIS"), "PARCAT1"]) == {
        "MRECIST LENCIONI LIVER CANCER 2010"
    }
    assert (
        a.groupby(["USUBJID", "PARAMCD"]).size().loc[lambda s: ~s.index.get_level_values(1).str.endswith("OVR")].max()
        == 1
    )
    tte = set(out["ADTTE"]["PARAMCD"])
    assert {"PFS", "MPFS", "OS", "MRSD"} <= tte and "RSD" not in tte


def test_duration_of_response_responders_only():
    out, _ = run([(42, "PR"), (84, "PR"), (168, "PD")])
    t = out["ADTTE"].set_index("PARAMCD")
    assert t.loc["RSD", "STARTDT"] == out["ADSL"]["TRTSDT"][0] + __import__("pandas").Timedelta(days=42)
    assert (t.loc["RSD", "AVAL"], t.loc["RSD", "CNSR"], t.loc["RSD", "EVNTDESC"]) == (127.0, 0.0, "DISEASE PROGRESSION")
    out2, _ = run([(42, "SD"), (84, "PD")])
    assert "RSD" not in set(out2["ADTTE"]["PARAMCD"])


def test_dor_censored_at_last_adequate_assessment():
    out, _ = run([(42, "CR"), (84, "CR"), (126, "CR")])
    t = out["ADTTE"].set_index("PARAMCD").loc["RSD"]
    assert (t["AVAL"], t["CNSR"], t["CNSDTDSC"]) == (85.0, 1.0, "LAST ADEQUATE TUMOR ASSESSMENT")
    assert t["SRCDOM"] == "ADRS" and t["SRCVAR"] == "ADT"
    adrs = out["ADRS"]
    src = adrs[adrs["ASEQ"] == t["SRCSEQ"]].iloc[0]
    assert src["PARAMCD"] == "OVR" and src["ADY"] == 127.0


def test_param_names_its_criterion_one_to_one():
    out, _ = run([(42, "SD")], extra={"death": 70}, mrecist=[(42, "PR")])
    a = out["ADRS"]
    pairs = a[["PARAMCD", "PARAM"]].drop_duplicates()
    assert pairs["PARAM"].is_unique and pairs["PARAMCD"].is_unique
    p = dict(zip(pairs["PARAMCD"], pairs["PARAM"]))
    assert p["DEATH"] == "Death, RECIST 1.1" and p["MDEATH"] == "Death, mRECIST"
    t = out["ADTTE"][["PARAMCD", "PARAM"]].drop_duplicates()
    assert t["PARAM"].is_unique


def test_param_template_without_criterion_is_spec_error():
    import pytest as _pytest

    from cdisckit.errors import SpecError

    with _pytest.raises(SpecError) as e:
        run(
            [(42, "SD")],
            params={"parameters": {**load_params()["parameters"], "BOR": "Best Response"}},
            mrecist=[(42, "PR")],
        )
    assert e.value.key == "parameters" and "Best Response" in str(e.value)
