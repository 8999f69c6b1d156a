"""Numbers of the study report against values worked out by hand (see conftest.py for the data)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from cdisckit.report import compute_tables
from cdisckit.report.stats import clopper_pearson, kaplan_meier

Z = stats.norm.ppf(0.975)


def cp_beta(k, n):
    """Clopper-Pearson from the beta quantiles (independent of binomtest)."""
    lo = 0.0 if k == 0 else stats.beta.ppf(0.025, k, n - k + 1)
    hi = 1.0 if k == n else stats.beta.ppf(0.975, k + 1, n - k)
    return lo, hi


def km_numpy(time, event):
    """Product-limit estimate and Greenwood sum at each distinct event time (written out, no scipy)."""
    t, e = np.asarray(time, float), np.asarray(event, bool)
    out, s, v = [], 1.0, 0.0
    for u in np.unique(t[e]):
        n, d = int((t >= u).sum()), int(((t == u) & e).sum())
        s *= 1 - d / n
        v += d / (n * (n - d)) if n > d else math.inf
        out.append((u, s, v))
    return out


def km_at(table, x):
    """(S, Greenwood sum) at time x from km_numpy output."""
    s, v = 1.0, 0.0
    for u, su, vu in table:
        if u <= x:
            s, v = su, vu
    return s, v


def loglog_ci(s, v):
    if s in (0.0, 1.0):
        return s, s
    w = Z * math.sqrt(v) / abs(math.log(s))
    return s ** math.exp(w), s ** math.exp(-w)


def rate(tab, paramcd, cohort):
    r = tab[(tab["paramcd"] == paramcd) & (tab["cohort"] == cohort)]
    assert len(r) == 1
    return r.iloc[0]


# ---------------------------------------------------------------------------------------------- binomial
def test_clopper_pearson_equals_scipy_binomtest_exact():
    from scipy.stats import binomtest

    for n in (1, 2, 5, 8, 37, 120):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            ci = binomtest(k, n).proportion_ci(method="exact")
            assert clopper_pearson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9), (k, n)


def test_clopper_pearson_3_of_8_matches_published_and_beta():
    lo, hi = clopper_pearson(3, 8)
    # published exact 95% CI for 3/8: 8.52% - 75.51% (e.g. Geigy tables / any exact-binomial calculator)
    assert (round(100 * lo, 2), round(100 * hi, 2)) == (8.52, 75.51)
    assert (lo, hi) == pytest.approx(cp_beta(3, 8), abs=1e-9)
    assert clopper_pearson(0, 4) == pytest.approx((0.0, 1 - 0.025 ** (1 / 4)))  # closed form for k = 0
    assert clopper_pearson(4, 4) == pytest.approx((0.025 ** (1 / 4), 1.0))  # and for k = n
    assert all(math.isnan(x) for x in clopper_pearson(0, 0))


def test_timepoint_orr_dcr_counts_and_exact_ci(adam):
    eff = compute_tables(adam)["efficacy"]
    assert eff["N"] == {"DL1": 4, "LEN": 4, "Overall": 8}  # subject 009 (EFFFL = N) excluded
    rec = eff["RECIST 1.1"]["rates"]
    for code, cohort, k, n in [
        ("RSPW6", "Overall", 3, 8),
        ("RSPW6", "DL1", 1, 4),
        ("RSPW6", "LEN", 2, 4),
        ("DCW6", "Overall", 5, 8),
        ("DCW6", "LEN", 3, 4),
        ("RSPW12", "Overall", 1, 8),
        ("RSPW12", "LEN", 0, 4),
    ]:
        r = rate(rec, code, cohort)
        assert (r["n"], r["N"]) == (k, n), code
        assert r["pct"] == pytest.approx(100 * k / n)
        lo, hi = cp_beta(k, n)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((100 * lo, 100 * hi), abs=1e-7)
    r = rate(rec, "RSPW6", "Overall")
    assert (round(r["ci_low"], 2), round(r["ci_high"], 2)) == (8.52, 75.51)
    # timepoints are those with an RSP parameter in ADRS; a DC parameter missing beside one is reported missing
    assert [tp for tp, _ in eff["RECIST 1.1"]["timepoints"]] == ["W6", "W12"]
    assert eff["RECIST 1.1"]["rates_missing"] == ["DCW12"]
    m = rate(eff["mRECIST"]["rates"], "MRSPW6", "Overall")
    assert (m["n"], m["N"]) == (4, 8)
    assert (m["ci_low"], m["ci_high"]) == pytest.approx(tuple(100 * x for x in cp_beta(4, 8)))


def test_confirmed_best_overall_response(adam):
    eff = compute_tables(adam)["efficacy"]
    bor = eff["RECIST 1.1"]["bor"]
    assert bor["paramcd"] == "CBOR"
    c = bor["counts"].query("cohort == 'Overall'").set_index("category")["n"].to_dict()
    assert c == {"CR": 1, "PR": 2, "SD": 2, "NON-CR/NON-PD": 0, "PD": 1, "NE": 1, "Missing": 1}
    dl1 = bor["counts"].query("cohort == 'DL1'").set_index("category")["pct"].to_dict()
    assert dl1["CR"] == 25.0 and dl1["PR"] == 0.0
    rr = bor["rates"].set_index(["endpoint", "cohort"])
    assert rr.loc[("ORR (CR+PR)", "Overall"), "n"] == 3
    assert rr.loc[("DCR (CR+PR+SD+NON-CR/NON-PD)", "Overall"), "n"] == 5
    mc = eff["mRECIST"]["bor"]["counts"].query("cohort == 'Overall'").set_index("category")["n"].to_dict()
    assert (mc["CR"], mc["PR"], mc["SD"]) == (1, 4, 0)


# ---------------------------------------------------------------------------------------------- Kaplan-Meier
PFS_T = [300, 120, 42, 60, 250, 200, 120, 90]
PFS_E = [0, 1, 1, 1, 1, 0, 1, 0]


def test_km_product_limit_by_hand():
    # 42 e (8 at risk) 60 e (7) 90 c, 120 e e (5) 200 c, 250 e (2), 300 c
    km = kaplan_meier(PFS_T, PFS_E)
    assert km.at(41)[0] == 1.0
    assert km.at(42)[0] == pytest.approx(7 / 8)
    assert km.at(100)[0] == pytest.approx(7 / 8 * 6 / 7)  # 0.75
    assert km.at(120)[0] == pytest.approx(0.75 * 3 / 5)  # 0.45
    assert km.at(260)[0] == pytest.approx(0.45 * 1 / 2)  # 0.225
    assert km.at(300)[0] == pytest.approx(0.225)
    assert math.isnan(km.at(301)[0])  # beyond follow-up: NE
    assert km.median == 120.0  # first S(t) <= 0.5
    assert (km.n, km.events) == (8, 5)
    # independent product-limit and Greenwood log-log CI at every event time
    ref = km_numpy(PFS_T, PFS_E)
    for u, s, v in ref:
        got = km.at(u)
        assert got[0] == pytest.approx(s)
        assert got[1:] == pytest.approx(loglog_ci(s, v), rel=1e-9), u
    # Brookmeyer-Crowley median CI from the pointwise band, recomputed here
    band = [(u, *loglog_ci(s, v)) for u, s, v in ref]
    low_lim = next((u for u, lo, hi in band if lo <= 0.5), math.nan)
    high_lim = next((u for u, lo, hi in band if hi <= 0.5), math.nan)
    assert km.median_low == low_lim == 42.0  # lower band at 42: 0.875 ** exp(1.96 * 0.1336 / 0.1335) = 0.39
    assert np.isnan(km.median_high) and np.isnan(high_lim)


def test_km_edge_cases():
    km = kaplan_meier([5, 7], [0, 0])  # no events
    assert km.at(6) == (1.0, 1.0, 1.0) and math.isnan(km.median)
    km = kaplan_meier([], [])
    assert km.n == 0 and math.isnan(km.at(1)[0])
    km = kaplan_meier([3, 5, 5, 8], [1, 1, 0, 1])  # ends at S = 0: band undefined there, taken as 0
    assert km.surv[-1] == 0.0 and km.low[-1] == 0.0 and km.median == 5.0


def test_pfs_dor_os_from_adtte(adam):
    eff = compute_tables(adam)["efficacy"]
    pfs = eff["RECIST 1.1"]["PFS"]["summary"].set_index("cohort")
    assert pfs.loc["Overall", ["N", "events", "censored"]].tolist() == [8, 5, 3]  # 009 (not EFFFL) excluded
    assert pfs.loc["Overall", "median"] == 120.0
    assert pfs.loc["DL1", "median"] == 60.0  # DL1: 42e 60e 120e 300c -> S(60) = 0.5
    assert pfs.loc["LEN", "median"] == 250.0  # LEN: 90c 120e 200c 250e -> 2/3, 0
    dor = eff["RECIST 1.1"]["DOR"]["summary"].set_index("cohort")
    assert dor.loc["Overall", "N"] == 3 and dor.loc["Overall", "median"] == 200.0
    assert eff["mRECIST"]["DOR"]["available"] is False  # no MRSD in the data
    os_ = eff["OS"]
    assert os_["summary"].set_index("cohort").loc["Overall", "median"] == 370.0
    lm = os_["landmarks"].set_index(["cohort", "day"])
    # OS: 100e 150e 183c 200c 365c 370e 380c 400c -> S(183) = S(365) = 7/8 * 6/7 = 0.75
    ref = km_numpy([400, 370, 150, 100, 380, 365, 200, 183], [0, 1, 1, 1, 0, 0, 0, 0])
    for day in (183, 365):
        s, v = km_at(ref, day)
        assert s == pytest.approx(0.75)
        row = lm.loc[("Overall", day)]
        assert row["surv"] == pytest.approx(0.75)
        assert (row["low"], row["high"]) == pytest.approx(loglog_ci(s, v), rel=1e-9)
    assert lm.loc[("Overall", 183), "at_risk"] == 6 and lm.loc[("Overall", 365), "at_risk"] == 4
    assert lm.loc[("DL1", 183), "surv"] == pytest.approx(0.5)  # DL1: 100e 150e 370e 400c
    assert lm.loc[("LEN", 365), "surv"] == 1.0  # LEN: no deaths


# ---------------------------------------------------------------------------------------------- safety
def test_safety_counts(adam):
    s = compute_tables(adam)["safety"]
    assert s["N"] == {"DL1": 4, "LEN": 4, "Total": 8}
    ov = s["overview"].set_index(["category", "cohort"])["n"]
    assert (ov[("Any TEAE", "DL1")], ov[("Any TEAE", "LEN")], ov[("Any TEAE", "Total")]) == (3, 2, 5)  # 007 not TEAE
    assert ov[("Serious TEAE", "Total")] == 2 and ov[("TEAE of grade >= 3", "Total")] == 3
    assert ov[("AESI: CRS", "Total")] == 4 and ov[("AESI: ICANS", "LEN")] == 1
    sp = s["soc_pt"]
    neut = sp[(sp["AEDECOD"] == "Neutropenia") & (sp["cohort"] == "Total")].set_index("grade")["n"]
    assert (neut["Any"], neut["4"], neut["3"], neut[">=3"]) == (1, 1, 0, 1)  # counted once, at worst grade
    blood = sp[(sp["AEBODSYS"].str.startswith("BLOOD")) & sp["AEDECOD"].isna() & (sp["cohort"] == "DL1")]
    assert blood.set_index("grade").loc["Any", "pct"] == 50.0
    assert sp["AEBODSYS"].iloc[0] == "IMMUNE SYSTEM DISORDERS"  # most frequent SOC first
    g = s["aesi"]["grades"]
    crs = g[(g["category"] == "CRS") & (g["cohort"] == "Total")].set_index("grade")["n"]
    assert (crs["Any"], crs["1"], crs["2"], crs["3"]) == (4, 2, 1, 1)  # ASTCT, not CTCAE
    on = s["aesi"]["onset"].set_index(["category", "cohort"])
    assert on.loc[("CRS", "Total"), ["n", "median", "min", "max"]].tolist() == [4, 2.5, 1.0, 4.0]
    assert on.loc[("CRS", "DL1"), "median"] == 1.5 and on.loc[("ICANS", "LEN"), "median"] == 6.0


def test_missing_inputs_degrade(adam):
    t = compute_tables({})
    assert t["safety"]["available"] is False and t["efficacy"]["available"] is False
    t = compute_tables({"ADSL": adam["ADSL"]})
    assert t["safety"]["available"] is False and "ADAE" in t["safety"]["note"]
    assert t["efficacy"]["available"] is False and "ADRS" in t["efficacy"]["note"]  # efficacy only with response data
    assert t["os"]["available"] is False
    t = compute_tables({k: v for k, v in adam.items() if k != "ADSL"})  # no ADSL: efficacy from ADRS subjects
    assert t["safety"]["available"] is False
    assert t["efficacy"]["available"] and "EFFFL" in t["efficacy"]["note"]


def test_import_is_light():
    code = "import sys, cdisckit.report; print(any(m in sys.modules for m in ('matplotlib', 'scipy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
