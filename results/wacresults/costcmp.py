"""The nightly's cost check: a night's stable-page cost (harness/cost's
on/off ratio per profile, size, sync mode and op, with its paired
interval) against the baseline night's, judged beside the night's own
A/A control (arm 1 against arm 1 again: the machine's noise)."""

import os

from .stats import cost_rows, read_cost_tsv

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


def judge_cost(new, base, min_pct=COST_MIN_CHANGE_PCT):
    """A key's verdict and its reason.  "REGRESSION": stable pages cost
    more tonight (its on/off interval lies wholly below the baseline's,
    and the ratio fell by min_pct or more); "improvement" the other way;
    "noisy": tonight's A/A interval excludes 1, so the machine alone
    moved a ratio and nothing is judged; "not judged" without intervals;
    else "same"."""
    change = 100.0 * (new["ratio"] / base["ratio"] - 1.0)
    res = {"change_pct": change}
    aa = new.get("aa")
    if not new["ci"] or not base["ci"]:
        res.update(verdict="not judged", reason="fewer than 3 paired rounds on a side")
    elif aa and aa[1] and not aa[1][0] <= 1.0 <= aa[1][1]:
        res.update(verdict="noisy", reason="tonight's A/A interval [%.3f, %.3f] excludes 1"
                   % aa[1])
    elif new["ci"][1] < base["ci"][0] and change <= -min_pct:
        res.update(verdict="REGRESSION", reason="intervals separate, cost up %.1f%%" % -change)
    elif new["ci"][0] > base["ci"][1] and change >= min_pct:
        res.update(verdict="improvement", reason="intervals separate, cost down %.1f%%" % change)
    else:
        res.update(verdict="same", reason="intervals overlap or change < %g%%" % min_pct)
    return res


def compare_cost(new_runs, base_runs):
    """[(key, new row, base row, verdict)] for the keys both nights have."""
    new, base = load_cost(new_runs), load_cost(base_runs)
    return [(k, new[k], base[k], judge_cost(new[k], base[k])) for k in new if k in base]
