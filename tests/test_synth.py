"""The synthetic raw export (cdisckit.synth): files written to disk and read back as an EDC export would be."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cdisckit.synth import generate_raw_export, write_raw_export

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "mappings" / "c-car031" / "synth.yaml"
EXAMPLE = ROOT / "examples" / "c-car031" / "raw"
FULL_DATE = re.compile(r"^\d{2}-[A-Za-z]{3}-\d{4}$")
PARTIAL_DATE = re.compile(r"^(UN-[A-Za-z]{3}-\d{4}|UN-UNK-\d{4}|\d{4}-\d{2}|\d{4})$")
LABELS = {
    "COMPLETE RESPONSE": "CR",
    "PARTIAL RESPONSE": "PR",
    "STABLE DISEASE": "SD",
    "PROGRESSIVE DISEASE": "PD",
    "NOT EVALUABLE": "NE",
    "NOT APPLICABLE": "NA",
    "NON-CR/NON-PD": "NON-CR/NON-PD",
}


def read(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        p.stem: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8") for p in sorted(folder.glob("*.csv"))
    }


def doc_forms() -> dict[str, list[str]]:
    """form -> columns, parsed from the table in docs/raw-export.md (parenthesised notes removed)."""
    forms = {}
    for line in (ROOT / "docs" / "raw-export.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\|\s*`(\w+)\.csv`[^|]*\|[^|]*\|(.*)\|\s*$", line)
        if m:
            cols, prev = m.group(2), None
            while prev != cols:
                prev, cols = cols, re.sub(r"\([^()]*\)", "", cols)
            forms[m.group(1)] = [c.strip() for c in cols.split(",")]
    return forms


def to_date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.str.title(), format="%d-%b-%Y", errors="coerce")


def code(s: pd.Series) -> pd.Series:
    return s.str.strip().str.upper().map(lambda v: LABELS.get(v, v))


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("raw400")
    write_raw_export(DESIGN, out, 400, 5)
    return read(out)


@pytest.fixture(scope="module")
def example() -> dict[str, pd.DataFrame]:
    return read(EXAMPLE)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = write_raw_export(DESIGN, tmp_path / "a", 60, 3)
    b = write_raw_export(DESIGN, tmp_path / "b", 60, 3)
    c = write_raw_export(DESIGN, tmp_path / "c", 60, 4)
    assert [p.name for p in a] == [p.name for p in b] == [p.name for p in c]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
    assert any(x.read_bytes() != z.read_bytes() for x, z in zip(a, c))
    raw = a[0].read_bytes()
    assert b"\r\n" not in raw and raw.decode("utf-8")
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]  # temp folder removed


def test_bundled_example_is_a_fresh_generation(tmp_path):
    paths = write_raw_export(DESIGN, tmp_path, 44, 31)
    bundled = sorted(p.name for p in EXAMPLE.glob("*.csv"))
    assert bundled == sorted(p.name for p in paths), (
        "examples/c-car031/raw is out of date: regenerate it (44 subjects, seed 31)"
    )
    for p in paths:
        assert (EXAMPLE / p.name).read_bytes() == p.read_bytes(), f"{p.name} differs from a fresh generation (44, 31)"


def test_every_form_and_column_of_the_contract(export, example):
    forms = doc_forms()
    assert len(forms) == 15
    for data in (export, example):
        assert sorted(data) == sorted(forms)
        for name, cols in forms.items():
            assert list(data[name].columns) == cols, name
            df = data[name]
            assert df["RECORDID"].tolist() == [str(i) for i in range(1, len(df) + 1)], name
            assert df["SUBJECT"].str.match(r"^\d{3}-\d{3,}$").all()
            assert (df["SUBJECT"].str[:3] == df["SITEID"]).all()
    frames = generate_raw_export(yaml.safe_load(DESIGN.read_text(encoding="utf-8")), 30, 1)
    assert all(df.map(lambda v: isinstance(v, str)).all().all() for df in frames.values())


def test_subjects_screen_failures_and_dates(export):
    dm, enr, ds = export["dm"], export["enr"], export["ds"]
    assert len(dm) == len(enr) == len(ds) == 400 and dm["SUBJECT"].is_unique
    sf = set(enr.loc[enr["ELIGYN"] == "No", "SUBJECT"])
    assert 0.08 <= len(sf) / 400 <= 0.17
    assert (enr.loc[enr["ELIGYN"] == "No", ["ENRDAT", "COHORT", "COHORTLBL", "DOSELVL"]] == "").all().all()
    for name, df in export.items():
        if name not in ("dm", "ic", "enr", "ds"):
            assert not sf & set(df["SUBJECT"]), f"screen failure in {name}"
    assert (ds.loc[ds["SUBJECT"].isin(sf), "DSSTATUS"] == "Screen failure").all()
    infused = set(export["inf"]["SUBJECT"])
    assert 1 <= len(set(enr["SUBJECT"]) - sf - infused) <= 0.05 * len(infused)  # enrolled, not infused
    ic = export["ic"].groupby("SUBJECT")["ICDAT"].first().map(lambda x: to_date(pd.Series([x]))[0])
    assert ic.min().year == 2024
    # dates: complete everywhere except AE start/end and DTHDAT
    for name, df in export.items():
        for col in [c for c in df.columns if c.endswith("DAT")]:
            vals = df.loc[df[col] != "", col]
            if (name, col) in {("ae", "AESTDAT"), ("ae", "AEENDAT"), ("dd", "DTHDAT")}:
                assert (vals.str.match(FULL_DATE) | vals.str.match(PARTIAL_DATE)).all(), col
            else:
                assert vals.str.match(FULL_DATE).all(), (name, col)
                assert to_date(vals).notna().all(), (name, col)
    for df, col in ((export["ic"], "ICTIM"), (export["ld"], "LDSTTIM"), (export["inf"], "INFSTTIM")):
        assert df[col].str.match(r"^([01]\d|2[0-3]):[0-5]\d$").all()
    months = export["tl"]["TADAT"].str[3:6]
    assert months.str.isupper().any() and (~months.str.isupper()).any()  # month case is mixed
    assert export["dm"]["SEX"].str.contains("=").any()


def test_treatment_forms(export):
    enr, inf, ld = export["enr"], export["inf"], export["ld"]
    inf_day = to_date(inf.set_index("SUBJECT")["INFDAT"])
    assert inf["SUBJECT"].is_unique
    assert inf["INFDOSE"].astype(float).gt(0).all() and (inf["INFDOSEU"] == "10^6 cells").all()
    ld = ld.assign(
        day=(to_date(ld["LDDAT"]) - ld["SUBJECT"].map(inf_day)).dt.days, drug=ld["LDTRT"].str.strip().str.lower()
    )
    per = ld.groupby("SUBJECT")
    assert set(per.groups) == set(inf["SUBJECT"])
    assert (per.size() == 6).all()
    assert per["day"].apply(lambda d: sorted(d.tolist()) == [-5, -5, -4, -4, -3, -3]).all()
    assert set(ld["drug"]) == {"fludarabine", "cyclophosphamide"}
    assert (ld.groupby(["SUBJECT", "day"])["drug"].nunique() == 2).all()
    cohort = enr.set_index("SUBJECT")["COHORT"]
    pd1 = export["pd1"]
    assert set(pd1["SUBJECT"]) <= set(cohort[cohort == "PD1"].index) and len(pd1)
    pd1 = pd1.assign(day=(to_date(pd1["PD1DAT"]) - pd1["SUBJECT"].map(inf_day)).dt.days)
    for subject, rows in pd1.groupby("SUBJECT"):
        assert rows["day"].tolist() == [1 + 21 * k for k in range(len(rows))], subject
        assert rows["FOLDER"].tolist() == [f"CYCLE {k + 1}" for k in range(len(rows))]
        assert rows["day"].max() <= 365
    assert (pd1["PD1DOSE"] == "200").all()
    ln = export["len"]
    assert set(ln["SUBJECT"]) <= set(cohort[cohort == "LEN"].index) and len(ln)
    first = ln.groupby("SUBJECT").first()
    assert ((to_date(first["LENSTDAT"]) - first.index.map(inf_day)).dt.days == 1).all()
    assert set(ln["LENDOSE"]) <= {"8", "12"}
    mono = set(cohort[cohort.isin(["DL1", "DL2", "DL3"])].index)
    assert not mono & (set(ln["SUBJECT"]) | set(pd1["SUBJECT"]))


def _assessments(tl: pd.DataFrame) -> pd.DataFrame:
    """Per subject and assessment: target sums (RECIST 1.1 LDIAM, mRECIST viable/LDIAM), all-gone flags, NE."""
    ld = pd.to_numeric(tl["LDIAM"].replace("TOO SMALL TO MEASURE", "5"), errors="coerce")
    vd = pd.to_numeric(tl["VDIAM"], errors="coerce")
    liver, node = tl["LESLOC"] == "Liver", tl["LESLOC"] == "Lymph node"
    gone_r = (node & (ld < 10)) | (~node & (ld == 0))
    t = tl.assign(ne=ld.isna(), r=ld, m=ld.where(~liver, vd), gone_r=gone_r, gone_m=gone_r.where(~liver, vd == 0))
    a = t.groupby(["SUBJECT", "TADAT", "FOLDER"], sort=False).agg(
        ne=("ne", "any"), r=("r", "sum"), m=("m", "sum"), gone_r=("gone_r", "all"), gone_m=("gone_m", "all")
    )
    return a.reset_index()


def _expected_target(a: pd.DataFrame, col: str, gone: str) -> pd.DataFrame:
    """Target response per assessment: NE, CR, PD (>= +20 % and >= 5 mm over the nadir), PR (<= -30 % from
    baseline), SD; the nadir is the smallest sum so far, baseline included, over evaluable assessments."""
    a = a.assign(date=to_date(a["TADAT"])).sort_values(["SUBJECT", "date"], kind="stable")
    base = a[a["FOLDER"] == "SCREENING"].set_index("SUBJECT")[col]
    a = a[a["FOLDER"] != "SCREENING"].copy()
    a["base"] = a["SUBJECT"].map(base)
    total = a[col].where(~a["ne"])
    running = total.fillna(float("inf")).groupby(a["SUBJECT"]).cummin()
    prev = running.groupby(a["SUBJECT"]).shift(1).fillna(float("inf"))
    a["nadir"] = prev.where(prev < a["base"], a["base"])
    a["sum"] = total
    a["trg"] = "SD"
    a.loc[10 * a["sum"] <= 7 * a["base"], "trg"] = "PR"
    a.loc[(10 * a["sum"] >= 12 * a["nadir"]) & (a["sum"] - a["nadir"] >= 5), "trg"] = "PD"
    a.loc[a[gone] & ~a["ne"], "trg"] = "CR"
    a.loc[a["ne"], "trg"] = "NE"
    return a


def test_time_point_responses_follow_the_measurements(export):
    tl, ntl, nl, rsp = (export[k].assign(TADAT=export[k]["TADAT"].str.upper()) for k in ("tl", "ntl", "nl", "rsp"))
    assert ((tl["VDIAM"] != "") == ((tl["LESLOC"] == "Liver") & (tl["LDIAM"] != ""))).all()
    meas = tl[(tl["VDIAM"] != "")]
    assert (meas["VDIAM"].astype(int) <= meas["LDIAM"].replace("TOO SMALL TO MEASURE", "5").astype(int)).all()
    assert ((tl["LDIAM"] == "") == (tl["TLNDRS"] != "")).all()
    assert (tl.loc[tl["FOLDER"] == "SCREENING", "LDIAM"] != "TOO SMALL TO MEASURE").all()
    assert tl.groupby("SUBJECT")["LESLOC"].apply(lambda s: (s == "Liver").any()).all()
    assert tl.groupby(["SUBJECT", "FOLDER", "TADAT"]).size().max() <= 5
    assert (tl.groupby(["SUBJECT", "LESID"])["LESLOC"].nunique() == 1).all()  # lesion IDs stable across visits
    rsp = rsp.assign(**{c: code(rsp[c]) for c in ("TRGRESP", "NTRGRESP", "OVRLRESP")})
    a = _assessments(tl)
    # non-target response and new lesions per assessment
    st = (
        ntl.assign(
            pd_=ntl["NTLSTAT"] == "Unequivocal progression",
            ne=ntl["NTLSTAT"] == "Not evaluated",
            ab=ntl["NTLSTAT"] == "Absent",
        )
        .groupby(["SUBJECT", "TADAT"])
        .agg(pd_=("pd_", "any"), ne=("ne", "any"), ab=("ab", "all"))
    )
    ntrg = pd.Series("NON-CR/NON-PD", index=st.index)
    ntrg[st["ab"]] = "CR"
    ntrg[st["ne"]] = "NE"
    ntrg[st["pd_"]] = "PD"
    new = set(zip(nl["SUBJECT"], nl["TADAT"]))
    checked = 0
    for crit, col, gone in (("RECIST 1.1", "r", "gone_r"), ("mRECIST", "m", "gone_m")):
        exp = _expected_target(a, col, gone)
        got = rsp[rsp["CRIT"] == crit].merge(exp, on=["SUBJECT", "TADAT", "FOLDER"], how="left", validate="1:1")
        assert got["trg"].notna().all()
        bad = got[got["TRGRESP"] != got["trg"]]
        assert bad.empty, bad[["SUBJECT", "FOLDER", "sum", "base", "nadir", "TRGRESP", "trg"]].head()
        assert (got["SUMD"] == got["sum"].map(lambda v: "" if pd.isna(v) else str(int(v)))).all()
        keys = list(zip(got["SUBJECT"], got["TADAT"]))
        exp_ntrg = pd.Series([ntrg.get(k, "NA") for k in keys], index=got.index)
        assert (got["NTRGRESP"] == exp_ntrg).all()
        has_new = pd.Series([k in new for k in keys], index=got.index)
        assert (got["NEWLES"] == has_new.map({True: "Yes", False: "No"})).all()
        trg = got["trg"]
        ovr = pd.Series("SD", index=got.index)
        ovr[trg.isin(["CR", "PR"])] = "PR"
        ovr[(trg == "CR") & exp_ntrg.isin(["CR", "NA"])] = "CR"
        ovr[trg == "NE"] = "NE"
        ovr[has_new | (trg == "PD") | (exp_ntrg == "PD")] = "PD"
        assert (got["OVRLRESP"] == ovr).all()
        assert set(ovr) == {"CR", "PR", "SD", "PD", "NE"} and set(exp_ntrg) == {"CR", "NON-CR/NON-PD", "NE", "PD", "NA"}
        checked += len(got)
    assert checked > 2000
    # assessments stop after the first RECIST 1.1 PD
    r = rsp[rsp["CRIT"] == "RECIST 1.1"].assign(date=lambda x: to_date(x["TADAT"])).sort_values(["SUBJECT", "date"])
    after_pd = r["OVRLRESP"].eq("PD").groupby(r["SUBJECT"]).transform(lambda s: s.shift(1, fill_value=False).cummax())
    assert not after_pd.any()
    # mRECIST shows more responses than RECIST 1.1
    resp = rsp[rsp["OVRLRESP"].isin(["CR", "PR"])].groupby("CRIT")["SUBJECT"].nunique()
    assert resp["mRECIST"] > resp["RECIST 1.1"]
    assert (tl["FOLDER"] == "UNSCHEDULED").any() and (tl["LDIAM"] == "TOO SMALL TO MEASURE").any()
    assert export["rsp"]["OVRLRESP"].isin(["Partial Response", "Stable disease", "Progressive Disease"]).any()


def test_missed_visits_and_assessments_stop(export):
    tl, ds = export["tl"], export["ds"]
    planned = ["WEEK 6", "WEEK 12", "WEEK 18", "MONTH 6", "MONTH 9", "MONTH 12"]
    visits = tl[tl["FOLDER"].isin(planned)].groupby("SUBJECT")["FOLDER"].agg(set)
    double = 0
    for v in visits:
        idx = [planned.index(f) for f in v]
        last = max(idx)
        gaps = sorted(set(range(last)) - set(idx))
        double += any(b == a + 1 for a, b in zip(gaps, gaps[1:]))
    assert double >= 2
    end = to_date(ds.set_index("SUBJECT")["DSDAT"])
    last_ta = to_date(tl["TADAT"]).groupby(tl["SUBJECT"]).max()
    assert (last_ta <= end[last_ta.index]).all()


def test_adverse_events(export):
    ae, inf, ld = export["ae"], export["inf"], export["ld"]
    assert set(ae["SUBJECT"]) <= set(inf["SUBJECT"])
    assert (ae.groupby("SUBJECT")["AESPID"].apply(lambda s: s.tolist() == [str(i) for i in range(1, len(s) + 1)])).all()
    part = ~ae["AESTDAT"].str.match(FULL_DATE) & (ae["AESTDAT"] != "")
    assert part.any() and (~ae["AEENDAT"].str.match(FULL_DATE) & (ae["AEENDAT"] != "")).any()
    for pattern in (r"^UN-[A-Za-z]{3}-\d{4}$", r"^UN-UNK-\d{4}$", r"^\d{4}-\d{2}$"):
        assert ae["AESTDAT"].str.match(pattern).any() or ae["AEENDAT"].str.match(pattern).any(), pattern
    assert 1 <= (ae["AETERM"] == "").sum() <= 0.02 * len(ae)
    assert (ae.loc[ae["AETERM"] == "", "AEDECOD"] == "").all()
    assert (ae["AETERM"] != ae["AETERM"].str.strip()).any()
    assert ae["AETERM"].map(lambda v: not v.isascii()).any()
    onset = to_date(ae["AESTDAT"])
    ld_first = to_date(ld["LDDAT"]).groupby(ld["SUBJECT"]).min()
    inf_day = to_date(inf.set_index("SUBJECT")["INFDAT"])
    assert (onset < ae["SUBJECT"].map(ld_first)).sum() >= 3  # pre-treatment (not emergent)
    day = (onset - ae["SUBJECT"].map(inf_day)).dt.days
    assert (day > 365).sum() >= 3
    cat = ae["AESICAT"]
    cytokine = cat.isin(["CRS", "ICANS"])
    assert cytokine.any() and (cat == "CRS").sum() > (cat == "ICANS").sum()
    assert ae.loc[cytokine, "ASTCTGR"].str.match(r"^Grade [1-4]$").all()
    assert (ae.loc[~cytokine, "ASTCTGR"] == "").all()
    assert day[cytokine].between(1, 14).all()
    assert (
        ae.loc[cytokine, "AEDECOD"].isin(
            ["Cytokine release syndrome", "Immune effector cell-associated neurotoxicity syndrome"]
        )
    ).all()
    assert ((ae["AESI"] == "Yes") == (cat != "")).all()
    grade = ae["AETOXGR"].str.extract(r"(\d)$")[0].astype(int)
    assert (
        grade.between(1, 5).all()
        and ae["AETOXGR"].str.startswith("Grade").any()
        and (~ae["AETOXGR"].str.startswith("Grade")).any()
    )
    assert ((grade == 5) == (ae["AEOUT"] == "Fatal")).all() and ((grade == 5) == (ae["AESDTH"] == "Yes")).all()
    assert ((ae["AEONGO"] == "Yes") == (ae["AEENDAT"] == "")).all()
    enr = export["enr"].set_index("SUBJECT")["COHORT"]
    coh = ae["SUBJECT"].map(enr)
    assert (ae.loc[coh != "LEN", "AEREL_LEN"] == "Not applicable").all()
    assert (ae.loc[coh != "PD1", "AEREL_PD1"] == "Not applicable").all()
    assert (ae.loc[ae["AEDECOD"] == "Hypertension"].pipe(lambda x: x["SUBJECT"].map(enr)) == "LEN").all()


def test_deaths_disposition_and_new_therapy(export):
    dd, ds, nact, inf = export["dd"], export["ds"], export["nact"], export["inf"]
    assert dd["SUBJECT"].is_unique and len(dd)
    death = ds[ds["DSSTATUS"] == "Death"].set_index("SUBJECT")["DSDAT"]
    assert set(death.index) == set(dd["SUBJECT"])
    for _, row in dd.iterrows():
        full = death[row["SUBJECT"]]
        if FULL_DATE.match(row["DTHDAT"]):
            assert row["DTHDAT"].upper() == full.upper()
        else:
            assert row["DTHDAT"].upper() == ("UN" + full[2:]).upper()
    assert set(dd["DTHCAUS"]) <= {"Disease progression", "Adverse event", "Other"}
    assert (dd["DTHCAUS"] == "Adverse event").sum() == export["ae"]["AESDTH"].eq("Yes").sum()
    assert set(ds["DSSTATUS"]) >= {"Completed", "Death", "Screen failure"}
    # deaths without progression, new anticancer therapy before progression
    rsp = export["rsp"][export["rsp"]["CRIT"] == "RECIST 1.1"]
    pd_day = to_date(rsp.loc[code(rsp["OVRLRESP"]) == "PD", "TADAT"]).groupby(rsp["SUBJECT"]).min()
    assert len(set(dd["SUBJECT"]) - set(pd_day.index)) >= 2
    start = to_date(nact["NACTSTDAT"]).groupby(nact["SUBJECT"]).min()
    before = [s for s in start.index if s not in pd_day.index or start[s] < pd_day[s]]
    assert len(before) >= 2
    inf_day = to_date(inf.set_index("SUBJECT")["INFDAT"])
    assert (start > inf_day[start.index]).all()
    end = to_date(ds.set_index("SUBJECT")["DSDAT"])
    assert (to_date(nact["NACTSTDAT"]).values <= nact["SUBJECT"].map(end).values).all()


def test_example_has_the_promised_variety(example):
    assert len(example["dm"]) == 44
    ae, rsp = example["ae"], example["rsp"]
    assert (ae["AETERM"] == "").any() and (ae["ASTCTGR"] != "").any()
    assert (~ae["AESTDAT"].str.match(FULL_DATE) & (ae["AESTDAT"] != "")).any()
    ovr = code(rsp["OVRLRESP"])
    assert {"PR", "SD", "PD", "NE"} <= set(ovr)
    assert len(example["inf"]) < (example["enr"]["ELIGYN"] == "Yes").sum()  # one enrolled, not infused


def test_meddra_coding_and_seriousness_criteria(export, example):
    from cdisckit.synth import synthetic_code

    for data in (export, example):
        ae, nact = data["ae"], data["nact"]
        coded = ae["AETERM"] != ""
        codes = ["AELLTCD", "AEPTCD", "AEHLTCD", "AEHLGTCD", "AESOCCD"]
        assert (ae.loc[coded, ["AELLT", "AEHLT", "AEHLGT"] + codes] != "").all().all()
        assert (ae.loc[~coded, ["AELLT"] + codes] == "").all().all()
        assert (ae.loc[coded, "AELLT"] == ae.loc[coded, "AEDECOD"]).all() and (ae["AELLTCD"] == ae["AEPTCD"]).all()
        for col in codes:  # invented 8-digit codes starting with 9, one per name
            assert ae.loc[coded, col].str.fullmatch(r"9\d{7}").all(), col
        assert (ae.groupby("AEDECOD")["AEPTCD"].nunique() == 1).all()
        assert (ae.groupby("AEBODSYS")["AESOCCD"].nunique() == 1).all()
        row = ae[ae["AEDECOD"] == "Pyrexia"].iloc[0]
        assert row["AEPTCD"] == synthetic_code("PT", "Pyrexia") and row["AEHLT"] == "Febrile disorders"
        # AESER is Yes exactly when a seriousness criterion (or death) is Yes
        crit = ae[["AESDTH", "AESCONG", "AESDISAB", "AESHOSP", "AESLIFE", "AESMIE"]] == "Yes"
        assert (crit.any(axis=1) == (ae["AESER"] == "Yes")).all()
        assert set(ae[["AESCONG", "AESDISAB", "AESHOSP", "AESLIFE", "AESMIE"]].stack()) <= {"Yes", "No"}
        drug = nact["NACTTRT"].isin(["Sorafenib", "Regorafenib", "Donafenib", "Cabozantinib"])
        assert (nact.loc[drug, "NACTDECOD"] == nact.loc[drug, "NACTTRT"].str.upper()).all()
        assert (nact.loc[drug, "NACTATCCD"] == "L01EX").all() and (nact.loc[~drug, "NACTDECOD"] == "").all()
    assert (export["ae"]["AESHOSP"] == "Yes").sum() > (export["ae"]["AESLIFE"] == "Yes").sum() > 0
