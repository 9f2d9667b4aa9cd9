"""Comparing two selections, LKP style: per group and metric, the
change of the trimmed means and whether it is flagged."""

import fnmatch
import math

from .history import NIGHT_SDS, night_noise
from .selection import group_key, load_metrics, load_runs
from .stats import mean, ratio_interval, summarize
from .store import KEY_FIELDS


# (glob, direction, minimum relative change in %).  direction: +1 higher is
# better, -1 lower is better, 0 neither.  First match wins.
METRIC_RULES = [
    ("*ops_per_s", +1, 5.0),
    ("*mb_per_s", +1, 5.0),
    ("ops.*.count", 0, 5.0),
    ("ops.*.bytes", 0, 5.0),
    ("total.count", 0, 5.0),
    ("total.bytes", 0, 5.0),
    ("*.max_ns", -1, 25.0),
    ("*.mean_ns", -1, 10.0),
    ("ops.*.errors", -1, 0.0),
    ("total.errors", -1, 0.0),
    ("latency_ns.*.p999", -1, 25.0),
    ("latency_ns.*.max", -1, 25.0),
    ("latency_ns.*.count", 0, 5.0),
    ("latency_ns.*", -1, 10.0),
    ("wall_s", -1, 10.0),
    ("boot_s", -1, 10.0),
    ("verify.ok", 0, 10.0),
    ("verify.unwritten", 0, 10.0),
    ("verify.stale", 0, 10.0),
    ("verify.raced", 0, 10.0),
    ("verify.collision", 0, 10.0),
    ("verify.hole", 0, 10.0),  # profile G: holes that read as zeros, as they must
    ("verify.sectors", 0, 10.0),
    ("verify.*", -1, 0.0),
    ("syscall_errors.*", -1, 0.0),
    ("contract.*", -1, 0.0),
    ("kmsg.*", -1, 0.0),
    ("hangs", -1, 0.0),
    ("errors.*", -1, 0.0),
    ("cpu.*", -1, 10.0),
    ("*", 0, 10.0),
]

# A flag also needs the change to exceed NOISE_SDS run-to-run standard
# deviations (pooled over both sides, relative to the base mean): whole
# nights shift by about that much on an unchanged machine, so the ranges of
# two A/A nights separate by chance (results/README.md has the numbers).
NOISE_SDS = 2.0

DEFAULT_METRICS = ["total.ops_per_s", "total.mb_per_s", "ops.*.ops_per_s",
                   "ops.*.mean_ns", "latency_ns.*.p50", "latency_ns.*.p99"]


def metric_rule(name, overrides=()):
    direction = 0
    minpct = 10.0
    for pat, d, p in METRIC_RULES:
        if fnmatch.fnmatchcase(name, pat):
            direction, minpct = d, p
            break
    for pat, p in overrides:
        if fnmatch.fnmatchcase(name, pat):
            minpct = p
    return direction, minpct


def noise_pct(b, n):
    """NOISE_SDS pooled standard deviations of the runs, in % of the base
    mean (0 when the base mean is 0: any change from 0 is news)."""
    if b["mean"] == 0:
        return 0.0
    pooled = math.sqrt((b["stddev"] ** 2 + n["stddev"] ** 2) / 2)
    return NOISE_SDS * 100.0 * pooled / abs(b["mean"])


def judge(name, base_vals, new_vals, min_runs=3, overrides=(), night_pct=None):
    """One metric of one group: statistics and the verdict.  night_pct:
    NIGHT_SDS night-to-night SDs of this metric in %, when known.

    verdict: REGRESSION | improvement | changed | "" (no significant change)
    reason: why it was or was not flagged.
    """
    b = summarize(base_vals)
    n = summarize(new_vals)
    direction, minpct = metric_rule(name, overrides)
    if b["mean"] == 0:
        change = 0.0 if n["mean"] == 0 else math.copysign(math.inf, n["mean"])
    else:
        change = 100.0 * (n["mean"] - b["mean"]) / abs(b["mean"])
    res = {"metric": name, "base": b, "new": n, "change_pct": change,
           "direction": direction, "min_change_pct": minpct,
           "verdict": "", "reason": ""}
    # new/base of the plain means with a 95% interval (harness/cost's
    # t test on the log ratio), for reports that quote a ratio
    if mean(base_vals) > 0 and mean(new_vals) > 0:
        ratio, ci = ratio_interval(base_vals, new_vals)
        res["ratio"] = ratio
        res["ratio_ci95"] = list(ci) if ci else None
    if b["runs"] < min_runs or n["runs"] < min_runs:
        res["verdict"] = "not enough runs"
        res["reason"] = "need >= %d runs per side (have %d/%d)" % (
            min_runs, b["runs"], n["runs"])
        return res
    if abs(change) < minpct or change == 0:
        res["reason"] = "change below %g%%" % minpct
        return res
    if not (n["min"] > b["max"] or n["max"] < b["min"]):
        res["reason"] = "value ranges overlap"
        return res
    noise = noise_pct(b, n)
    res["noise_pct"] = noise
    if abs(change) < noise:
        res["reason"] = "change within %g run-to-run SDs (%.1f%%)" % (NOISE_SDS, noise)
        return res
    if night_pct is not None:
        res["night_noise_pct"] = night_pct
        if abs(change) < night_pct:
            res["reason"] = "change within %g night-to-night SDs (%.1f%%)" % (
                NIGHT_SDS, night_pct)
            return res
    worse = (direction > 0 and change < 0) or (direction < 0 and change > 0)
    if direction == 0:
        res["verdict"] = "changed"
    elif worse:
        res["verdict"] = "REGRESSION"
    else:
        res["verdict"] = "improvement"
    res["reason"] = "ranges separate, change >= %g%%, > %g run-to-run SDs (%.1f%%)" % (
        minpct, NOISE_SDS, noise)
    if night_pct is not None:
        res["reason"] += ", > %g night-to-night SDs (%.1f%%)" % (NIGHT_SDS, night_pct)
    return res


def compare(conn, base_sel, new_sel, patterns, min_runs=3, overrides=(),
            ignore=(), tools=None, nights=()):
    """nights: labels of earlier nights, oldest first, whose night-to-night
    changes set a further bar (history.night_noise)."""
    base = load_runs(conn, base_sel, tools)
    new = load_runs(conn, new_sel, tools)
    drop = base_sel.fields() | new_sel.fields() | set(ignore)
    fields = [f for f in KEY_FIELDS if f not in drop]
    bmet = load_metrics(conn, [r["id"] for r in base], patterns)
    nmet = load_metrics(conn, [r["id"] for r in new], patterns)
    noise = night_noise(conn, nights, fields, patterns, tools) if nights else {}
    groups = {}
    for side, runs, met in (("base", base, bmet), ("new", new, nmet)):
        for r in runs:
            g = groups.setdefault(group_key(r, fields), {"base": [], "new": []})
            g[side].append(met[r["id"]])
    rows = []
    only = {"base": [], "new": []}
    for key in sorted(groups, key=lambda k: [str(v) for _, v in k]):
        g = groups[key]
        if not g["base"] or not g["new"]:
            only["base" if g["base"] else "new"].append(key)
            continue
        names = sorted(set().union(*g["base"], *g["new"]))
        results = []
        for name in names:
            bv = [m[name] for m in g["base"] if name in m]
            nv = [m[name] for m in g["new"] if name in m]
            if not bv or not nv:
                continue
            results.append(judge(name, bv, nv, min_runs, overrides,
                                 noise.get((key, name))))
        rows.append((key, results))
    return rows, only, fields


def fmt_num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e7 or a < 1e-2:
        return "%.4g" % v
    if a >= 100:
        return "%.0f" % v
    return "%.3g" % v


def fmt_change(c):
    if math.isinf(c):
        return "+inf%" if c > 0 else "-inf%"
    return "%+.1f%%" % c


def varying_fields(keys):
    """Key fields whose value differs between groups, for short headers."""
    if len(keys) <= 1:
        return None
    out = []
    for i, (f, _) in enumerate(keys[0]):
        if len({k[i][1] for k in keys}) > 1:
            out.append(f)
    return out
