"""The nightly's cost check: a night's stable-page cost (harness/cost's
on/off ratio per profile, size, sync mode and op, with its paired
interval) against the baseline night's, judged against the night's own
A/A control (arm 1 against arm 1 again: the machine's noise), so that a
night of nothing changed raises no flag."""

import os

from .stats import cost_rows, half_width_pp, read_cost_tsv

# below this a change of the cost is not flagged, however tight the
# intervals (the throughput rule of compare)
COST_MIN_CHANGE_PCT = 5.0


def cost_tables(runs):
    """The cost.tsv files beside the selection's harness/cost runs: cost
    writes each run's JSON and the table into one --out directory."""
    dirs = sorted({os.path.dirname(r["source_file"]) for r in runs
                   if r["tool"] == "wac" and r["scenario"] is None and r["source_file"]})
    return [p for p in (os.path.join(d, "cost.tsv") for d in dirs) if os.path.isfile(p)]


def load_cost(runs):
    """{(profile, size, sync, op): cost row} of the selection's tables."""
    rows = {}
    for path in cost_tables(runs):
        with open(path) as fh:
            for row in cost_rows(read_cost_tsv(fh)):
                rows[row["key"]] = row
    return rows


def aa_noise_pct(row):
    """The machine's noise by the night's A/A control, in percent: twice
    the A/A ratio's distance from 1, or its interval's half-width if that
    is larger (a few rounds give a poor interval but an honest distance).
    0 without an A/A arm."""
    aa = row.get("aa")
    if not aa:
        return 0.0
    return max(200.0 * abs(aa[0] - 1.0), half_width_pp(aa[1]) or 0.0)


def judge_cost(new, base, min_pct=COST_MIN_CHANGE_PCT):
    """A key's verdict and its reason.  "REGRESSION": stable pages cost
    more tonight -- its on/off interval lies wholly below the baseline's,
    and the ratio fell by more than min_pct and more than tonight's A/A
    noise; "improvement" the same the other way; "within noise" when the
    intervals are apart but the change is not larger than that; "not
    judged" without intervals; else "same"."""
    change = 100.0 * (new["ratio"] / base["ratio"] - 1.0)
    bar = max(min_pct, aa_noise_pct(new))
    res = {"change_pct": change, "bar_pct": bar}
    if not new["ci"] or not base["ci"]:
        res.update(verdict="not judged", reason="fewer than 3 paired rounds on a side")
    elif new["ci"][1] < base["ci"][0] or new["ci"][0] > base["ci"][1]:
        if abs(change) <= bar:
            res.update(verdict="within noise", reason="intervals apart, change %.1f%% within "
                       "the bar %.1f%% (5%% or the A/A noise)" % (change, bar))
        elif change < 0:
            res.update(verdict="REGRESSION", reason="intervals apart, cost up %.1f%% (bar %.1f%%)"
                       % (-change, bar))
        else:
            res.update(verdict="improvement", reason="intervals apart, cost down %.1f%% (bar %.1f%%)"
                       % (change, bar))
    else:
        res.update(verdict="same", reason="intervals overlap")
    return res


def compare_cost(new_runs, base_runs):
    """[(key, new row, base row, verdict)] for the keys both nights have."""
    new, base = load_cost(new_runs), load_cost(base_runs)
    return [(k, new[k], base[k], judge_cost(new[k], base[k])) for k in new if k in base]
