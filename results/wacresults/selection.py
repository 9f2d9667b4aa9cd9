"""Selecting runs: selectors, runs and metrics out of the store."""

import fnmatch

from .store import ALL_FIELDS


SELECTOR_ALIASES = {"commit": "suite_commit", "kernel": "kernel"}


class Selector:
    """key=value[,key=value...]; value may be a glob and 'a|b' alternatives.

    keys: kernel (release glob, release prefix such as 6.1, or the
    harness alias), commit, label, since, until (ISO dates on 'started'),
    run (run_id prefix), and any run column (profile, stable_writes, fs...).
    """

    def __init__(self, text):
        self.text = text
        self.terms = []
        if text in ("", "all", "*"):
            return
        for part in text.split(","):
            if "=" not in part:
                raise ValueError("selector term %r is not key=value" % part)
            k, v = part.split("=", 1)
            k = SELECTOR_ALIASES.get(k.strip(), k.strip())
            if k not in ("kernel", "label", "since", "until", "run") and k not in ALL_FIELDS:
                raise ValueError("unknown selector key %r" % k)
            self.terms.append((k, v.strip()))

    def fields(self):
        """Run columns this selector constrains (dropped from group keys)."""
        out = set()
        for k, _ in self.terms:
            if k == "kernel":
                out.update(["kernel_release", "kernel_alias"])
            elif k in ALL_FIELDS:
                out.add(k)
        return out

    @staticmethod
    def _match(val, pattern):
        if val is None:
            return pattern in ("null", "none", "")
        return any(fnmatch.fnmatchcase(str(val), alt) for alt in pattern.split("|"))

    def matches(self, run, labels):
        for k, v in self.terms:
            if k == "kernel":
                rel, alias = run["kernel_release"], run["kernel_alias"]
                # a harness/kbuild kernel (alias build:LABEL) is selected by
                # its alias or full release, not by a version prefix such
                # as 7.2 (that is the Debian kernel it is compared with)
                built = str(alias or "").startswith("build:")
                ok = False
                for alt in v.split("|"):
                    if (self._match(alias, alt) or
                            (not built and self._match(rel, alt)) or
                            (built and rel == alt) or
                            (not built and rel and
                             (rel.startswith(alt + ".") or rel.startswith(alt + "-")))):
                        ok = True
                if not ok:
                    return False
            elif k == "label":
                if not any(self._match(lab, v) for lab in labels) :
                    return False
            elif k == "since":
                if not run["started"] or run["started"] < v:
                    return False
            elif k == "until":
                if not run["started"] or run["started"][:len(v)] > v:
                    return False
            elif k == "run":
                if not any(str(run["run_id"]).startswith(a) for a in v.split("|")):
                    return False
            elif not self._match(run[k], v):
                return False
        return True


def load_runs(conn, selector, tools=None):
    """Runs matching selector, as dicts with their labels."""
    labels = {}
    for r in conn.execute("SELECT run, label FROM labels"):
        labels.setdefault(r["run"], []).append(r["label"])
    out = []
    for r in conn.execute("SELECT * FROM runs ORDER BY started, id"):
        if tools and r["tool"] not in tools:
            continue
        labs = labels.get(r["id"], [])
        if selector is None or selector.matches(r, labs):
            d = dict(r)
            d["labels"] = labs
            out.append(d)
    return out


def load_metrics(conn, run_ids, patterns=None):
    """{run id: {name: value}} for the given runs, names filtered by globs."""
    res = {rid: {} for rid in run_ids}
    if not run_ids:
        return res
    ids = list(run_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = "SELECT run, name, value FROM metrics WHERE run IN (%s)" % ",".join("?" * len(chunk))
        for r in conn.execute(q, chunk):
            if patterns is None or any(fnmatch.fnmatchcase(r["name"], p) for p in patterns):
                res[r["run"]][r["name"]] = r["value"]
    return res


def group_key(run, fields):
    return tuple((f, run.get(f)) for f in fields)


def describe_key(key, skip_none=True):
    return " ".join("%s=%s" % (k, v) for k, v in key if v is not None or not skip_none)


