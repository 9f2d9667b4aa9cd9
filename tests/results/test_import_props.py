#!/usr/bin/env python3
"""Property test of `wac-results import` (Hypothesis): real wac/1
documents, a run and its verify, with one value anywhere in them replaced
by any JSON value (NaN, Infinity, 1e300, 10**400, 100k-deep nesting, a
string where a number belongs ...) or deleted.  Each import either adds
the document (one run, or one verify of the stored run, or nothing when
it is already present) with exit 0 and a quiet stderr, or skips it with
exit 1, one stderr line naming the file, not a row changed and no raw copy
left behind.  Never a traceback.

  test_import_props.py RUN.json VERIFY.json [MAX_EXAMPLES]
"""

import contextlib
import importlib.machinery
import importlib.util
import io
import json
import os
import sqlite3
import sys
import tempfile
import traceback

from hypothesis import HealthCheck, given, settings, strategies as st

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEEP = "__deep_nesting__"
TABLES = ("runs", "metrics", "labels", "verifies", "verify_metrics")


def load_cli():
    path = os.path.join(TOP, "results", "wac-results")
    loader = importlib.machinery.SourceFileLoader("wac_results_cli", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


CLI = load_cli()

nasty = st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e300, -1e300,
                         10 ** 400, -(10 ** 400), 2 ** 64, DEEP, "two", "NaN", "",
                         None, True, False, 0, -1, 0.5, [], {}, "verify", "run"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(max_size=20), nasty)
values = st.recursive(scalars, lambda c: st.one_of(
    st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)),
    max_leaves=10)


def paths(doc, prefix=()):
    """Every key path in doc (dict keys and list indexes)."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for k, v in items:
        yield prefix + (k,)
        if isinstance(v, (dict, list)):
            yield from paths(v, prefix + (k,))


def mutate(doc, path, value, delete):
    doc = json.loads(json.dumps(doc))
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    text = json.dumps(doc, allow_nan=True)
    return text.replace('"%s"' % DEEP, "[" * 100000 + "]" * 100000)


def counts(db):
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def import_cli(db, path):
    """(exit status, stdout, stderr) of wac-results import, in process;
    an exception that escapes is a traceback on stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = CLI.main(["--db", db, "import", path])
        except SystemExit as e:
            rc = e.code
        except BaseException:  # noqa: B036 -- what the user would see
            traceback.print_exc()
            rc = "traceback"
    return rc, out.getvalue(), err.getvalue()


def main():
    run_doc = json.load(open(sys.argv[1]))
    verify_doc = json.load(open(sys.argv[2]))
    examples = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    assert verify_doc.get("kind") == "verify", "the second document is not a verify"
    work = tempfile.mkdtemp(prefix="wac-import-props.")
    db = os.path.join(work, "db", "wac.db")
    raw = os.path.join(work, "db", "raw")
    # the run is stored: mutated verify documents have a run to attach to
    rc, out, err = import_cli(db, sys.argv[1])
    assert rc == 0 and not err, (rc, out, err)
    bases = [("run", run_doc, list(paths(run_doc))), ("verify", verify_doc, list(paths(verify_doc)))]
    stats = {"imported": 0, "present": 0, "skipped": 0}

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def prop(data):
        name, base, keys = data.draw(st.sampled_from(bases))
        path = data.draw(st.sampled_from(keys))
        value = data.draw(values)
        delete = data.draw(st.booleans())
        f = os.path.join(work, "doc.json")
        with open(f, "w") as fh:
            fh.write(mutate(base, path, value, delete))
        before, raw_before = counts(db), set(os.listdir(raw))
        rc, out, err = import_cli(db, f)
        after, raw_after = counts(db), set(os.listdir(raw))
        what = "%s doc, %s %s: rc %s, stdout %r, stderr %r" % (
            name, "delete" if delete else "set", "/".join(map(str, path)), rc, out, err[:2000])
        assert "Traceback" not in err, what
        assert rc in (0, 1), what
        if rc == 1:
            stats["skipped"] += 1
            assert err.count("\n") == 1 and f in err, what
            assert after == before, what + " rows changed: %s -> %s" % (before, after)
            assert raw_after == raw_before, what + " raw copy left: %s" % (raw_after - raw_before)
            return
        assert err == "", what
        grew = {t: after[t] - before[t] for t in TABLES if after[t] != before[t]}
        if "already present 1" in out:
            stats["present"] += 1
            assert not grew, what
        else:
            stats["imported"] += 1
            assert grew.get("runs") == 1 or (grew.get("verifies") == 1 and "runs" not in grew), \
                what + " grew %s" % grew

    prop()
    print("%d examples: %d imported, %d already present, %d skipped" % (
        sum(stats.values()), stats["imported"], stats["present"], stats["skipped"]))


if __name__ == "__main__":
    main()
