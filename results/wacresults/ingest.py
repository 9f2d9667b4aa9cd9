"""Importing documents: wac/1, wac-harness/1 (embedded wac documents),
wac-harness/2 (wac documents by file name and sha256), wac-fio/1 and bare
fio JSON, one transaction per file.  A wac/1 document of kind "verify"
(`wac verify`) is attached to the run it verified, never a run itself.

Any file either imports whole or is skipped with one line on stderr: no
traceback, no half import (the file's transaction is rolled back) and no
raw copy left behind for it."""

import datetime
import hashlib
import json
import math
import os
import re
import sys

from . import lava
from .fio import fio_fields, fio_run_id
from .flatten import _fmt_duration, _num, flatten_numbers
from .store import ALL_FIELDS, INT_FIELDS, BadDocument, content_hash

HARNESS_SCHEMAS = ("wac-harness/1", "wac-harness/2")
# The harness writer's inputs in a run directory: not result documents.
NOT_DOCUMENTS = {"context.json", "result.json"}
# Integer columns are SQLite INTEGERs: signed 64 bits.
INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1


def wac_fields(doc):
    """Run columns and metrics of one wac/1 document."""
    for k in ("run_id", "config", "metrics"):
        if k not in doc:
            raise BadDocument("wac/1 document without '%s'" % k)
    cfg = doc.get("config") or {}
    tgt = doc.get("target") or {}
    kern = doc.get("kernel") or {}
    integ = tgt.get("integrity") or {}
    f = {
        "tool": "wac",
        "profile": cfg.get("profile"),
        "fs": tgt.get("fs_type"),
        "device_kind": tgt.get("device_kind"),
        "device_model": tgt.get("device_model"),
        "sector_size": tgt.get("sector_size") or cfg.get("sector_size"),
        "integrity_format": integ.get("format"),
        "stable_writes": tgt.get("stable_writes"),
        "dax": None if tgt.get("dax") is None else int(bool(tgt.get("dax"))),
        "writers": cfg.get("writers"),
        "mmappers": cfg.get("mmappers"),
        "direct": 1 if cfg.get("direct") else 0,
        "size": cfg.get("size"),
        "block": cfg.get("block"),
        "engine": cfg.get("engine"),
        "iodepth": cfg.get("iodepth"),
        "write_sync": cfg.get("write_sync"),
        "msync": cfg.get("msync"),
        "sync_every": cfg.get("sync_every"),
        "duration_s": _fmt_duration(cfg.get("duration_s")),
        "f_mode": cfg.get("f_mode") if cfg.get("profile") == "F" else None,
        "layout": cfg.get("layout"),
        # the folio size on ext4 from 6.16; NULL for 1 MiB, the default and
        # the only size before --prefill-write, so that those runs pool
        "prefill_write": (None if cfg.get("prefill_write") in (None, 1 << 20)
                          else cfg.get("prefill_write")),
        "host": doc.get("host"),
        "kernel_release": kern.get("release"),
        "started": doc.get("started"),
        "verdict": doc.get("verdict"),
        "exit_status": doc.get("exit_status"),
    }
    if tgt.get("kind") == "blockdev":
        f["fs"] = "raw"
    m = {}
    flatten_numbers(doc.get("metrics") or {}, "", m)
    ig = doc.get("integrity") or {}
    flatten_numbers({k: v for k, v in (ig.get("verify") or {}).items()
                     if k != "done"}, "verify", m)
    se = ig.get("syscall_errors") or {}
    if "total" in se:
        m["syscall_errors.total"] = float(se["total"])
    flatten_numbers(se.get("by_errno") or {}, "syscall_errors.errno", m)
    flatten_numbers(se.get("by_op") or {}, "syscall_errors.op", m)
    if "total" in (ig.get("contract") or {}):
        m["contract.total"] = float(ig["contract"]["total"])
    flatten_numbers(((ig.get("kmsg") or {}).get("counts")) or {}, "kmsg", m)
    m["hangs"] = float(len(doc.get("hangs") or []))
    if _num(doc.get("wall_s")) is not None:
        m["wall_s"] = float(doc["wall_s"])
    # Device counters and anything else added later under "device"/"target"
    flatten_numbers(doc.get("device") or {}, "device", m)
    flatten_numbers(tgt.get("device_stat") or {}, "device", m)
    # the folios at the end of the run (page_cache.folios_by_order.4 = 1):
    # what a small write under stable pages waits on
    flatten_numbers(doc.get("page_cache") or {}, "page_cache", m)
    return f, m




def harness_fields(doc):
    for k in ("run_id", "scenario"):
        if k not in doc:
            raise BadDocument("harness document without '%s'" % k)
    kern = doc.get("kernel") or {}
    dev = doc.get("device") or {}
    exp = doc.get("expected") or {}
    obs = doc.get("observed") or {}
    f = {
        "tool": "harness",
        "scenario": doc.get("scenario"),
        "fs": doc.get("fs"),
        "device_kind": dev.get("kind"),
        "dif": dev.get("dif"),
        "dix": dev.get("dix"),
        "guard": dev.get("guard"),
        "sector_size": dev.get("sector_size"),
        "stable_writes": doc.get("stable_writes"),
        "accel": doc.get("accel"),
        "backend": doc.get("backend"),
        "host": doc.get("host"),
        "kernel_release": kern.get("release"),
        "kernel_alias": kern.get("alias"),
        "suite_commit": doc.get("suite_commit"),
        "started": doc.get("started"),
        "verdict": obs.get("verdict"),
        "outcome": doc.get("outcome"),
        "expected_outcome": exp.get("outcome"),
        "observed_channels": ",".join(obs.get("channels") or []) or None,
        "expected_channels": ",".join(exp.get("channels") or []) or None,
    }
    m = {}
    for k in ("wall_s", "boot_s"):
        if _num(doc.get(k)) is not None:
            m[k] = float(doc[k])
    return f, m


# What a run inherits from the harness document that embeds it.
INHERITED = ["scenario", "device_kind", "dif", "dix", "guard", "accel",
             "backend", "kernel_alias", "suite_commit", "outcome",
             "expected_outcome", "expected_channels", "observed_channels"]



def classify(doc):
    if not isinstance(doc, dict):
        raise BadDocument("top level is not a JSON object")
    s = doc.get("schema")
    if s in ("wac/1", "wac-fio/1") or s in HARNESS_SCHEMAS:
        return s
    if isinstance(s, str) and s.split("/")[0] in ("wac", "wac-harness", "wac-fio"):
        raise BadDocument("unsupported schema version %r" % s)
    if "fio version" in doc and "jobs" in doc:
        return "fio"
    raise BadDocument("not a wac/1, wac-harness/1, wac-harness/2 or fio JSON document")


class RunNotStored(BadDocument):
    """A verify document whose run is not (yet) in the store."""


def wac_kind(doc):
    """"run" or "verify" (`wac verify`); documents before the key are runs."""
    k = doc.get("kind")
    if k is None:
        return "run"
    if k not in ("run", "verify"):
        raise BadDocument("unknown kind %s" % json.dumps(k)[:40])
    return k


def _why(e):
    """One line saying why a file was skipped."""
    if isinstance(e, (BadDocument, OSError)):
        text = str(e)
    else:
        text = "%s: %s" % (type(e).__name__, e)
    return " ".join(text.split()) or type(e).__name__


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _no_constant(name):
    raise BadDocument("corrupt JSON: %s is not a JSON number" % name)


def _finite_float(text):
    v = float(text)
    if not math.isfinite(v):
        raise BadDocument("number %s is out of range" % text[:40])
    return v


def _bounded_int(text):
    """A JSON integer that a float can hold (metrics are REALs)."""
    if len(text) > 310:
        raise BadDocument("integer of %d digits is out of range" % len(text))
    v = int(text)
    if abs(v) > 1.7976931348623157e308:
        raise BadDocument("integer %s... is out of range" % text[:20])
    return v


def _read_json(path):
    """(bytes, document) of a JSON file; BadDocument when it is not one:
    not UTF-8, not JSON (NaN and Infinity are not), a number no float
    holds, or nested deeper than Python's parser goes."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        return data, json.loads(data.decode("utf-8"), parse_constant=_no_constant,
                                parse_float=_finite_float, parse_int=_bounded_int)
    except UnicodeDecodeError as e:
        raise BadDocument("not UTF-8 text: %s" % e)
    except json.JSONDecodeError as e:
        raise BadDocument("corrupt JSON: %s" % e)
    except RecursionError:
        raise BadDocument("nested too deeply")


def _int_field(name, v):
    """An integer column's value: None, or an integer (a bool, an
    integral number, a decimal string) in SQLite's range; anything else
    is a bad document, never a silent NULL."""
    if v is None or isinstance(v, bool):
        return None if v is None else int(v)
    n = None
    if isinstance(v, int):
        n = v
    elif isinstance(v, float) and v.is_integer():
        n = int(v)
    elif isinstance(v, str) and re.fullmatch(r"[+-]?[0-9]{1,19}", v.strip()):
        n = int(v)
    if n is None or not INT_MIN <= n <= INT_MAX:
        raise BadDocument("%s: %s is not an integer" % (name, json.dumps(v)[:40]))
    return n


class Importer:
    def __init__(self, conn, db_path, labels=(), keep_raw=True, log=None,
                 defaults=None):
        self.conn = conn
        self.log = sys.stderr if log is None else log
        # column values for runs whose documents do not carry them (e.g.
        # suite_commit for a wac run the nightly made); never overrides
        self.defaults = dict(defaults or {})
        self.raw_dir = os.path.join(os.path.dirname(os.path.abspath(db_path)), "raw")
        self.labels = list(labels)
        self.keep_raw = keep_raw
        self.added = 0
        self.present = 0
        self.failed = 0
        # raw copies this file's import wrote: removed if it is skipped
        self._new_raw = []

    def _insert(self, run_id, chash, schema, fields, metrics, source,
                raw, parent=None):
        c = self.conn
        row = c.execute("SELECT id, parent FROM runs WHERE run_id=? AND content_hash=?",
                        (run_id, chash)).fetchone()
        if row is not None:
            rid = row["id"]
            if parent is not None and row["parent"] is None:
                # seen standalone before, now inside its harness document:
                # adopt the harness context.
                sets = ", ".join("%s=?" % k for k in INHERITED + ["parent"])
                c.execute("UPDATE runs SET %s WHERE id=?" % sets,
                          [fields.get(k) for k in INHERITED] + [parent, rid])
            self._label(rid)
            return rid, False
        for k, v in self.defaults.items():
            if fields.get(k) is None:
                fields[k] = v
        cols = ["run_id", "content_hash", "schema", "parent", "source_file",
                "raw_file", "imported"] + ALL_FIELDS
        vals = [run_id, chash, schema, parent, source, raw, _now()]
        for k in ALL_FIELDS:
            v = fields.get(k)
            if k in INT_FIELDS:
                v = _int_field(k, v)
            elif v is not None:
                v = str(v)
            vals.append(v)
        cur = c.execute("INSERT INTO runs (%s) VALUES (%s)" % (
            ",".join(cols), ",".join("?" * len(cols))), vals)
        rid = cur.lastrowid
        c.executemany("INSERT INTO metrics VALUES (?,?,?)",
                      [(rid, k, v) for k, v in sorted(metrics.items())])
        self._label(rid)
        return rid, True

    def _label(self, rid):
        for lab in self.labels:
            self.conn.execute("INSERT OR IGNORE INTO labels VALUES (?,?)", (rid, lab))

    def _keep_raw(self, path, data, chash):
        if not self.keep_raw:
            return os.path.abspath(path)
        os.makedirs(self.raw_dir, exist_ok=True)
        dst = os.path.join(self.raw_dir, chash[:20] + ".json")
        if not os.path.exists(dst):
            tmp = dst + ".tmp"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, dst)
            self._new_raw.append(dst)
        return dst

    def _drop_new_raw(self):
        for f in self._new_raw:
            try:
                os.remove(f)
            except OSError:
                pass
        self._new_raw = []

    def _child(self, w, hf, pid, path, raw, what):
        """One wac/1 document of a harness run, with the harness context."""
        if not isinstance(w, dict) or w.get("schema") != "wac/1":
            raise BadDocument("%s is not a wac/1 document" % what)
        if wac_kind(w) == "verify":
            return self._verify(w, path, raw)
        wf, wm = wac_fields(w)
        for k in INHERITED:
            if hf.get(k) is not None:
                wf[k] = hf[k]
        if not wf.get("kernel_release"):
            wf["kernel_release"] = hf.get("kernel_release")
        if wf.get("stable_writes") is None:
            wf["stable_writes"] = hf.get("stable_writes")
        wf["host"] = hf.get("host") if hf.get("backend") == "vm" else (wf.get("host") or hf.get("host"))
        _, added = self._insert(str(w["run_id"]), content_hash(w), "wac/1",
                                wf, wm, path, raw, parent=pid)
        return added

    def _verify(self, doc, path, raw):
        """A `wac verify` document, attached to the run it verified (the
        first one stored with that run_id): 1 if new, 0 if present."""
        of_run = doc.get("of_run")
        if not isinstance(of_run, str) or not of_run:
            raise BadDocument("verify document without of_run")
        chash = content_hash(doc)
        c = self.conn
        if c.execute("SELECT id FROM verifies WHERE content_hash=?", (chash,)).fetchone():
            return 0
        run = c.execute("SELECT id FROM runs WHERE run_id=? AND schema='wac/1' "
                        "ORDER BY id LIMIT 1", (of_run,)).fetchone()
        if run is None:
            raise RunNotStored("verify of run %s, which is not in the store "
                              "(import the run first)" % of_run[:40])
        channels = doc.get("channels") or []
        if not isinstance(channels, list) or not all(isinstance(x, str) for x in channels):
            raise BadDocument("channels is not a list of names")
        m = {}
        ig = doc.get("integrity") or {}
        flatten_numbers({k: v for k, v in (ig.get("verify") or {}).items()
                         if k != "done"}, "verify", m)
        if _num(doc.get("wall_s")) is not None:
            m["wall_s"] = float(doc["wall_s"])
        started, verdict = doc.get("started"), doc.get("verdict")
        cur = c.execute(
            "INSERT INTO verifies (run, of_run, content_hash, started, verdict, exit_status,"
            " channels, source_file, raw_file, imported) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (run["id"], of_run, chash, None if started is None else str(started),
             None if verdict is None else str(verdict),
             _int_field("exit_status", doc.get("exit_status")), ",".join(channels) or None,
             path, raw, _now()))
        c.executemany("INSERT INTO verify_metrics VALUES (?,?,?)",
                      [(cur.lastrowid, k, v) for k, v in sorted(m.items())])
        return 1

    def _referenced(self, doc, path):
        """wac-harness/2: the wac documents it names, read beside it.  A
        file that is missing, unreadable or not the one the harness hashed
        is left out with one line on stderr."""
        out = []
        for i, ref in enumerate(doc.get("wac") or []):
            if not isinstance(ref, dict) or not isinstance(ref.get("file"), str) \
                    or os.path.basename(ref["file"]) != ref["file"]:
                raise BadDocument("wac[%d] is not a {file, sha256} reference" % i)
            wpath = os.path.join(os.path.dirname(path), ref["file"])
            try:
                data, w = _read_json(wpath)
            except (OSError, BadDocument) as e:
                self._skipped(wpath, e)
                continue
            if hashlib.sha256(data).hexdigest() != ref.get("sha256"):
                self._skipped(wpath, "sha256 differs from the one in %s" % os.path.basename(path))
                continue
            out.append((wpath, data, w))
        return out

    def _skipped(self, path, why):
        self.failed += 1
        print("wac-results: %s: skipped: %s" % (path, why), file=self.log)

    def import_doc(self, doc, path, data):
        kind = classify(doc)
        chash = content_hash(doc)
        new = 0
        if kind == "wac/1" and wac_kind(doc) == "verify":
            new += self._verify(doc, path, self._keep_raw(path, data, chash))
        elif kind == "wac/1":
            f, m = wac_fields(doc)
            raw = self._keep_raw(path, data, chash)
            _, added = self._insert(str(doc["run_id"]), chash, kind, f, m, path, raw)
            new += added
        elif kind in HARNESS_SCHEMAS:
            f, m = harness_fields(doc)
            children = []
            if kind == "wac-harness/2":
                children = self._referenced(doc, path)
            raw = self._keep_raw(path, data, chash)
            pid, added = self._insert(str(doc["run_id"]), chash, kind, f, m, path, raw)
            new += added
            if kind == "wac-harness/1":
                for i, w in enumerate(doc.get("wac") or []):
                    new += self._child(w, f, pid, path, raw, "wac[%d]" % i)
            for wpath, wdata, w in children:
                wraw = self._keep_raw(wpath, wdata, content_hash(w))
                new += self._child(w, f, pid, wpath, wraw, os.path.basename(wpath))
        else:
            ctx = {}
            fdoc = doc
            if kind == "wac-fio/1":
                ctx = doc
                fdoc = doc.get("fio")
                if not isinstance(fdoc, dict):
                    raise BadDocument("wac-fio/1 document without 'fio'")
            f, m = fio_fields(fdoc, ctx)
            raw = self._keep_raw(path, data, chash)
            _, added = self._insert(fio_run_id(fdoc, ctx), chash, kind, f, m, path, raw)
            new += added
        return new

    def import_file(self, path, later=None):
        """Import one file in one transaction.  Returns True unless the
        file was skipped for an error (which is reported on stderr).  A
        verify document whose run is not stored yet goes on the list
        later, when given, instead of being skipped."""
        if os.path.isdir(path):  # a LAVA job's export (lava.py)
            return lava.import_job(self, path)
        failed = self.failed
        self._new_raw = []
        try:
            data, doc = _read_json(path)
            with self.conn:  # one transaction per file: all or nothing
                new = self.import_doc(doc, path, data)
        except Exception as e:  # any file: imported or skipped, one line
            self._drop_new_raw()
            if later is not None and isinstance(e, RunNotStored):
                later.append(path)
                return True
            self._skipped(path, _why(e))
            return False
        if new:
            self.added += 1
        else:
            self.present += 1
        return self.failed == failed

    def import_paths(self, paths):
        """Every file, in order; verify documents whose run comes later
        in the list once more at the end."""
        ok = True
        later = []
        for p in paths:
            if os.path.isdir(p):
                for f in self._walk(p):
                    ok &= self.import_file(f, later)
            elif os.path.exists(p):
                ok &= self.import_file(p, later)
            else:
                self.failed += 1
                ok = False
                print("wac-results: %s: no such file or directory" % p, file=self.log)
        for f in later:
            ok &= self.import_file(f)
        return ok

    def _walk(self, top):
        """The documents under top.  A run directory with a harness.json
        is that one document: its wac-N.json files are imported through
        it (once), its context.json and result.json are its inputs."""
        raw = os.path.realpath(self.raw_dir)
        for dirpath, dirnames, files in os.walk(top):
            # never re-import the store's own copies
            dirnames[:] = sorted(d for d in dirnames if os.path.realpath(
                os.path.join(dirpath, d)) != raw)
            if "harness.json" in files:
                yield os.path.join(dirpath, "harness.json")
                continue
            if lava.is_job_dir(files):
                yield dirpath
                continue
            for name in sorted(files):
                if name.endswith(".json") and name not in NOT_DOCUMENTS:
                    yield os.path.join(dirpath, name)
