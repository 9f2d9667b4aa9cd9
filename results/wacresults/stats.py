"""Statistics, once for the whole suite: LKP-style trimmed summaries (used
by compare and the plots) and the stable-page cost table of harness/cost
(on/off ratio with a 95% interval)."""

import math
import random


def trim(values):
    """LKP-style outlier trimming: with 5 or more runs drop the single
    lowest and highest value; fewer runs are kept as they are."""
    s = sorted(values)
    return s[1:-1] if len(s) >= 5 else s


def mean(vs):
    return sum(vs) / len(vs) if vs else float("nan")


def stddev(vs):
    if len(vs) < 2:
        return 0.0
    m = mean(vs)
    return math.sqrt(sum((v - m) ** 2 for v in vs) / (len(vs) - 1))


def summarize(values):
    t = trim(values)
    m = mean(t)
    sd = stddev(t)
    return {"runs": len(values), "kept": len(t), "mean": m, "stddev": sd,
            "stddev_pct": (100.0 * sd / abs(m)) if m else 0.0,
            "min": min(t) if t else None, "max": max(t) if t else None}



# Two-sided 95% Student t quantiles for 1..20 degrees of freedom; the
# normal 1.96 beyond.
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
       2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086]


def t95(df):
    if df < 1:
        return 0.0
    return T95[df - 1] if df <= len(T95) else 1.96


def ratio_interval(off, on):
    """The on/off ratio of the means with a 95% interval from a t test on
    the log ratio (standard error from the two relative spreads, degrees
    of freedom n_off + n_on - 2).  None for the interval with a single run
    on either side."""
    m0, m1 = mean(off), mean(on)
    r = m1 / m0
    if len(off) < 2 or len(on) < 2:
        return r, None
    se = math.sqrt((stddev(off) / m0) ** 2 / len(off) + (stddev(on) / m1) ** 2 / len(on))
    q = t95(len(off) + len(on) - 2)
    return r, (r * math.exp(-q * se), r * math.exp(q * se))


def paired_ratio_interval(off, on, resamples=4000, seed=1):
    """Rounds that ran both arms back to back (harness/cost alternates
    them): the geometric mean of the per-round on/off ratios, with a 95%
    percentile bootstrap interval over the rounds (a fixed seed: the same
    table every time).  A neighbour that slows one round slows both of
    its arms, so pairing takes most of the machine's noise out.  None for
    the interval with fewer than 3 rounds."""
    logs = [math.log(b / a) for a, b in zip(off, on) if a > 0 and b > 0]
    if not logs:
        return float("nan"), None
    r = math.exp(mean(logs))
    if len(logs) < 3:
        return r, None
    rng = random.Random(seed)
    n = len(logs)
    boots = sorted(mean([logs[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples))
    lo, hi = boots[int(0.025 * resamples)], boots[int(0.975 * resamples) - 1]
    return r, (math.exp(lo), math.exp(hi))


def half_width_pp(ci):
    """An interval's half-width in percentage points of the ratio."""
    return 50.0 * (ci[1] - ci[0]) if ci else None


# arms: 0 and 1 (stable_writes 0/1, or dax never/always), and "aa", arm 1
# again in its own slot of each round: on vs on, the machine's own noise
# (the A/A control)
COST_ARMS = ("0", "1", "aa")
COST_COLUMNS = ["profile", "size", "sync", "op", "arm", "run", "ops_s", "p50_ns", "p99_ns"]


class BadTable(Exception):
    """A cost.tsv line that is not what harness/cost writes."""


def read_cost_tsv(fh):
    """{(profile, size, sync, op): {arm: [(ops_s, p50_ns, p99_ns), ...]}},
    keys in the order they first appear."""
    groups = {}
    for n, line in enumerate(fh, 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) != len(COST_COLUMNS):
            raise BadTable("line %d: %d columns, want %d (%s)" % (
                n, len(f), len(COST_COLUMNS), " ".join(COST_COLUMNS)))
        if f[4] not in COST_ARMS:
            raise BadTable("line %d: arm %r is not %s" % (n, f[4], ", ".join(COST_ARMS)))
        try:
            vals = tuple(float(v) for v in f[6:9])
        except ValueError:
            raise BadTable("line %d: ops_s, p50_ns, p99_ns must be numbers" % n)
        if not all(math.isfinite(v) for v in vals):
            raise BadTable("line %d: a value is not finite" % n)
        arm = "aa" if f[4] == "aa" else int(f[4])
        groups.setdefault(tuple(f[0:4]), {0: [], 1: [], "aa": []})[arm].append(vals)
    return groups


def read_pairs(fh):
    """{group: ([base, ...], [new, ...])} from lines 'GROUP BASE NEW' (a
    round of a paired benchmark; blank lines skipped), groups in the order
    they first appear."""
    groups = {}
    for n, line in enumerate(fh, 1):
        f = line.split()
        if not f:
            continue
        if len(f) != 3:
            raise BadTable("line %d: %d fields, want 3 (group base new)" % (n, len(f)))
        try:
            base, new = float(f[1]), float(f[2])
        except ValueError:
            raise BadTable("line %d: base and new must be numbers" % n)
        if not (math.isfinite(base) and math.isfinite(new)) or base <= 0 or new <= 0:
            raise BadTable("line %d: base and new must be finite and > 0" % n)
        b, w = groups.setdefault(f[0], ([], []))
        b.append(base)
        w.append(new)
    return groups


def format_pairs(groups):
    """Per group: the geometric mean of new/base over the rounds, its 95%
    bootstrap interval (paired_ratio_interval; '-' under 3 rounds) and the
    rounds, tab-separated."""
    out = []
    for g, (base, new) in groups.items():
        r, ci = paired_ratio_interval(base, new)
        lo, hi = ("%.3f" % ci[0], "%.3f" % ci[1]) if ci else ("-", "-")
        out.append("%s\t%.3f\t%s\t%s\t%d" % (g, r, lo, hi, len(base)))
    return "".join(line + "\n" for line in out)


def arm_interval(base, other):
    """Paired when both arms ran the same rounds, else Welch on the logs."""
    if len(base) == len(other) >= 3:
        return paired_ratio_interval(base, other)
    return ratio_interval(base, other)


def cost_rows(groups):
    """One dict per key whose arms 0 and 1 both have a non-zero mean; with
    an "aa" arm also the A/A ratio (aa vs 1) and its interval."""
    rows = []
    for key, arms in groups.items():
        ops = {a: [v[0] for v in arms.get(a, [])] for a in (0, 1, "aa")}
        if not ops[0] or not ops[1] or not mean(ops[0]) or not mean(ops[1]):
            continue
        r, ci = arm_interval(ops[0], ops[1])
        row = {"key": key, "ratio": r, "ci": ci, "aa": None}
        if ops["aa"] and mean(ops["aa"]):
            row["aa"] = arm_interval(ops[1], ops["aa"])
        for a in (0, 1):
            m = mean(ops[a])
            row[a] = {"n": len(ops[a]), "mean": m, "sd_pct": 100.0 * stddev(ops[a]) / m,
                      "p50_us": mean([v[1] for v in arms[a]]) / 1000.0,
                      "p99_us": mean([v[2] for v in arms[a]]) / 1000.0}
        rows.append(row)
    return rows


def _ci_text(ci):
    return "[%.3f, %.3f] ±%.1fpp" % (ci + (half_width_pp(ci),)) if ci else "(too few runs)"


def format_cost_table(rows):
    """The table; intervals are paired bootstrap ones when the arms ran
    the same rounds (3 or more), else Welch t; "A/A" is the on-vs-on
    control when the run had one: its interval should contain 1."""
    out = ["%-7s %-5s %-6s %-12s %14s %14s %8s %-24s %-30s %21s %21s" % (
        "profile", "size", "sync", "op", "off ops/s", "on ops/s", "on/off",
        "95% CI", "A/A (on/on) 95% CI", "p50 us off/on", "p99 us off/on")]
    for r in rows:
        off, on = r[0], r[1]
        aa = "%.3f %s" % (r["aa"][0], _ci_text(r["aa"][1])) if r["aa"] else "-"
        out.append("%-7s %-5s %-6s %-12s %9.0f ±%2.0f%% %9.0f ±%2.0f%% %8.3f %-24s %-30s "
                   "%10.1f/%-10.1f %10.1f/%-10.1f" % (
                       r["key"] + (off["mean"], off["sd_pct"], on["mean"], on["sd_pct"],
                                   r["ratio"], _ci_text(r["ci"]), aa, off["p50_us"], on["p50_us"],
                                   off["p99_us"], on["p99_us"])))
    return "\n".join(out) + "\n"
