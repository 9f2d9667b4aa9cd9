"""Night-to-night noise from the nights already in the store.

Runs of one night share the machine's state that night, so two nights of
an unchanged kernel and suite can differ by more than their runs vary
within a night: the ranges of two A/A nights separate, and a per-run rule
flags them.  How much a metric moves from one night to the next is known
only from earlier nights; this module measures it so that compare can
require a change to be larger.
"""

from .selection import Selector, group_key, load_metrics, load_runs
from .stats import mean, trim

# A change must exceed NIGHT_SDS standard deviations of the change from
# one night to the next.  The SD is 1.4826 x the median of the earlier
# nights' absolute consecutive changes (the SD for normal changes; one real
# step among them does not raise the bar for weeks), from at least
# MIN_NIGHT_DIFFS changes (MIN_NIGHT_DIFFS + 1 nights).  Over 10 quick A/A
# nights here the median did a little better than the root mean square
# (3 failing nights against 4; 7 with the per-run rules alone).
NIGHT_SDS = 3.0
MIN_NIGHT_DIFFS = 3
MAX_NIGHTS = 15


def night_sd(diffs):
    """The SD of a night-to-night change, from earlier changes in %."""
    d = sorted(abs(x) for x in diffs)
    n = len(d)
    return 1.4826 * (d[n // 2] if n % 2 else (d[n // 2 - 1] + d[n // 2]) / 2)


def night_means(conn, nights, fields, patterns, tools=None):
    """{(group key, metric): [trimmed mean per night, in the order of nights]}"""
    order = {label: i for i, label in enumerate(nights)}
    runs = [r for r in load_runs(conn, Selector("all"), tools)
            if any(lab in order for lab in r["labels"])] if nights else []
    met = load_metrics(conn, [r["id"] for r in runs], patterns)
    values = {}  # (key, metric) -> {night index: [values]}
    for r in runs:
        night = min(order[lab] for lab in r["labels"] if lab in order)
        key = group_key(r, fields)
        for name, v in met[r["id"]].items():
            values.setdefault((key, name), {}).setdefault(night, []).append(v)
    return {k: [mean(trim(per[i])) for i in sorted(per)] for k, per in values.items()}


def night_noise(conn, nights, fields, patterns, tools=None):
    """{(group key, metric): NIGHT_SDS night-to-night SDs, in % of the
    earlier night} for the groups seen on enough of the nights."""
    noise = {}
    for k, ms in night_means(conn, nights[-MAX_NIGHTS:], fields, patterns, tools).items():
        diffs = [100.0 * abs(b - a) / abs(a) for a, b in zip(ms, ms[1:]) if a]
        if len(diffs) >= MIN_NIGHT_DIFFS:
            noise[k] = NIGHT_SDS * night_sd(diffs)
    return noise


def earlier_nights(conn, pattern, exclude_ids):
    """The labels matching the GLOB pattern, oldest first (the nightly's
    labels carry a UTC stamp), without those on any of exclude_ids."""
    rows = conn.execute("SELECT label, run FROM labels WHERE label GLOB ?", (pattern,))
    runs = {}
    for r in rows:
        runs.setdefault(r["label"], set()).add(r["run"])
    return sorted(lab for lab, ids in runs.items() if not ids & set(exclude_ids))
