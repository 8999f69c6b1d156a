"""Efficacy and overall-survival sections as HTML (only where the study has response / time-to-event data).

>>> efficacy_section({"available": False, "note": "no ADRS"}, {}, [], "png")
''
"""

from __future__ import annotations

from . import figures as F
from . import tables as T
from .common import OVERALL
from .fmt import col_header, esc, fmt_ci, fmt_median, fmt_npct, fmt_rate, na, note, table


def _rates_table(rates, missing: list[str], N: dict, timepoints) -> str:
    if isinstance(rates, dict):
        return na(f"Timepoint response rates not available: {rates['note']}")
    idx = rates.set_index(["paramcd", "cohort"])
    rows = []
    for endpoint, base in (("ORR", "RSP"), ("DCR", "DC")):
        for tp, label in timepoints:
            codes = rates.loc[(rates["endpoint"] == endpoint) & (rates["timepoint"] == label), "paramcd"]
            code = codes.iloc[0] if len(codes) else None
            if code is None:
                miss = next((m for m in missing if m.endswith(f"{base}{tp}")), f"{base}{tp}")
                rows.append([f"{endpoint} {label}", esc(miss)] + ['<span class="na">not available</span>'] * len(N))
            else:
                rows.append([f"{endpoint} {label}", esc(code)] + [fmt_rate(idx.loc[(code, c)]) for c in N])
    return table(["Endpoint", "PARAMCD"] + [col_header(c, n) for c, n in N.items()], rows, num_from=2)


def _orr_table(bor, N: dict, Nd: dict) -> str:
    """Confirmed ORR and DCR with exact CI by cohort, by dose level and overall."""
    r = bor["rates"].set_index(["endpoint", "cohort"])
    rd = bor["rates_dose"].set_index(["endpoint", "cohort"]) if len(bor.get("rates_dose", [])) else None
    cols = [c for c in N if c != OVERALL]
    header = (
        ["Endpoint"]
        + [col_header(c, N[c]) for c in cols]
        + [col_header(d, n) for d, n in Nd.items()]
        + [col_header(OVERALL, N[OVERALL])]
    )
    rows = []
    for e in dict.fromkeys(bor["rates"]["endpoint"]):
        row = [esc(e)] + [fmt_rate(r.loc[(e, c)]) for c in cols]
        row += [fmt_rate(rd.loc[(e, d)]) for d in Nd] if rd is not None else []
        row.append(fmt_rate(r.loc[(e, OVERALL)]))
        rows.append(row)
    return table(header, rows, cls="wide")


def _bor_table(bor, N: dict) -> str:
    c = bor["counts"].set_index(["category", "cohort"])
    rows = [
        [esc(cat)] + [fmt_npct(*c.loc[(cat, k), ["n", "N", "pct"]]) for k in N]
        for cat in dict.fromkeys(bor["counts"]["category"])
    ]
    return table([f"Confirmed BOR ({esc(bor['paramcd'])})"] + [col_header(k, n) for k, n in N.items()], rows)


def km_summary(res: dict, what: str) -> str:
    if not res.get("available"):
        return na(f"{what} not available: {res['note']}")
    rows = [
        [esc(r.cohort), str(r.N), str(r.events), str(r.censored), fmt_median(r)]
        for r in res["summary"].itertuples(index=False)
    ]
    return note(f"Time origin: <b>{esc(res['origin'])}</b>.") + table(
        ["Cohort", "N", "Events", "Censored", "Median, months (95% CI)"], rows
    )


def _origin_text(res: dict) -> str:
    o = res.get("origin") or "the time origin"
    return o.split(" (")[0]


def efficacy_section(e: dict, adam: dict, cohorts: list[str], fmt: str) -> str:
    if not e.get("available"):
        return ""
    parts = ['<h2 id="efficacy">3. Efficacy (efficacy population, EFFFL = "Y")</h2>']
    if e.get("note"):
        parts.append(note(esc(e["note"])))
    N, Nd = e["N"], e.get("N_dose", {})
    parts.append(
        note(
            "Rates: subjects with the response over all efficacy subjects of the column (no record = not responding); "
            "exact Clopper-Pearson 95% CI. ORR = confirmed CR or PR; DCR = CR, PR, SD or NON-CR/NON-PD. Kaplan-Meier "
            "medians with 95% CI by Brookmeyer-Crowley (log-log); NE = not estimable; months = days / 30.4375."
        )
    )
    for k, (name, prefix, parcat) in enumerate(e["criteria"], start=1):
        c = e[name]
        sec = f"3.{k}"
        parts.append(f'<h3 id="eff-{k}">{sec} {esc(name)} (PARCAT1 = {esc(parcat)})</h3>')
        bor = c["bor"]
        if bor.get("available"):
            parts += [
                f"<h4>{sec}.1 Confirmed objective response and disease control by cohort and dose level</h4>",
                _orr_table(bor, N, Nd),
            ]
            parts += [f"<h4>{sec}.2 Best overall response (confirmed)</h4>", _bor_table(bor, N)]
        else:
            parts.append(na(f"Best overall response not available: {bor['note']}"))
        parts += [
            f"<h4>{sec}.3 Response and disease control at each timepoint, n/N (%) [95% CI]</h4>",
            _rates_table(c["rates"], c.get("rates_missing", []), N, c.get("timepoints", T.TIMEPOINTS)),
        ]
        parts.append(
            f"<h4>{sec}.4 Tumour size: waterfall and spider plots, coloured by confirmed best overall response</h4>"
        )
        wf = T.waterfall_data(adam, prefix)
        if wf.empty:
            parts.append(
                na(f"Waterfall plot not available: ADTR {prefix}SUMDIAM with post-baseline PCHG not available")
            )
        else:
            parts.append(F.waterfall_figure(wf, f"Waterfall, {name}: best % change in sum of diameters", fmt, cohorts))
        sp = T.spider_data(adam, prefix)
        if not sp.empty:
            parts.append(
                F.spider_figure(sp, f"Spider plot, {name}: % change in sum of diameters over time", cohorts, fmt)
            )
        pfs, dor = c["PFS"], c["DOR"]
        origin = _origin_text(pfs) if pfs.get("available") else "first dose"
        parts.append(f"<h4>{sec}.5 Swimmer plot: time from {esc(origin)} to death or last contact</h4>")
        sw = T.swimmer_data(adam, prefix)
        if sw.empty:
            parts.append(na("Swimmer plot not available: ADSL with TRTSDT not available"))
        else:
            parts.append(F.swimmer_figure(sw, f"Swimmer plot, {name}", cohorts, fmt, origin=origin))
        for j, (res, what) in enumerate(((dor, "Duration of response"), (pfs, "Progression-free survival")), start=6):
            label = f"{what} ({esc(res.get('paramcd', prefix + ('RSD' if j == 6 else 'PFS')))})"
            parts += [f"<h4>{sec}.{j} {label}</h4>", km_summary(res, what)]
            if res.get("available"):
                parts.append(
                    F.km_figure(res["km"], f"{what}, {name}", f"Months from {_origin_text(res)}", cohorts, fmt=fmt)
                )
    return "\n".join(parts)


def os_section(o: dict, cohorts: list[str], fmt: str) -> str:
    if not o.get("available"):
        return ""
    parts = ['<h2 id="os">4. Overall survival</h2>', km_summary(o, "Overall survival")]
    rows = [
        [esc(r.cohort), f"{esc(r.label)} (day {r.day})", str(r.at_risk), fmt_ci(r.surv, r.low, r.high, 100)]
        for r in o["landmarks"].itertuples(index=False)
    ]
    parts += [
        "<h4>OS rate at 6 and 12 months</h4>",
        note(
            "Kaplan-Meier estimate with pointwise 95% CI (log-log, Greenwood); NE beyond the last follow-up; "
            "an interval of one point (no event yet) is not estimable."
        ),
        table(["Cohort", "Timepoint", "At risk", "OS rate (95% CI)"], rows, num_from=2),
        F.km_figure(
            o["km"],
            "Overall survival",
            f"Months from {_origin_text(o)}",
            cohorts,
            landmarks=[(d, lab) for d, lab in T.OS_LANDMARKS],
            fmt=fmt,
        ),
    ]
    return "\n".join(parts)
