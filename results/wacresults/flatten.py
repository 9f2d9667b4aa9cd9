"""Numeric leaves of JSON documents as metric rows."""

import datetime
import math


def _num(v):
    """A JSON leaf as a float, or None when it is not a number."""
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return None


def flatten_numbers(obj, prefix, out):
    """Every numeric leaf of obj as out[prefix.a.b] = value; lists skipped
    (they hold examples such as the first failing sectors, not metrics)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten_numbers(v, "%s.%s" % (prefix, k) if prefix else str(k), out)
    else:
        v = _num(obj)
        if v is not None and prefix:
            out[prefix] = v


def _int_or_none(v):
    if v is None:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None

def _fmt_duration(v):
    n = _num(v)
    if n is None:
        return None
    return ("%g" % n)



def _epoch_iso(ts):
    n = _num(ts)
    if n is None:
        return None
    return datetime.datetime.fromtimestamp(n, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
