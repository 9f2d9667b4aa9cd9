"""wac results store: SQLite import, selection and LKP-style statistics.

Used by results/wac-results (the command) and plots/wac-plot.  Python 3
standard library only.

Data model (see results/README.md):

  runs     one row per measured run: a wac/1 document (standalone or
           embedded in a wac-harness/1 document), a harness scenario run,
           or a fio run.  Columns hold what makes runs comparable.
  metrics  (run, name, value): every numeric result as a row, so a new
           metric needs no schema change.
  labels   (run, label): free-form tags ("baseline", "nightly-...").
"""

import datetime
import fnmatch
import hashlib
import json
import math
import os
import sqlite3
import sys

SCHEMA_VERSION = 1

# Columns describing a run.  KEY_FIELDS are the ones that make two runs
# comparable: compare groups runs that agree on all of them (minus the
# fields the selectors name, and minus suite_commit).
KEY_FIELDS = [
    "tool", "scenario", "profile", "fs", "device_kind", "dif", "dix",
    "guard", "sector_size", "integrity_format", "stable_writes", "writers",
    "mmappers", "direct", "size", "block", "engine", "iodepth",
    "write_sync", "msync", "sync_every", "duration_s", "f_mode", "layout", "accel",
    "backend", "host", "kernel_release",
]
INFO_FIELDS = [
    "kernel_alias", "suite_commit", "started", "verdict", "exit_status",
    "outcome", "expected_outcome", "observed_channels", "expected_channels",
]
ALL_FIELDS = KEY_FIELDS + INFO_FIELDS
INT_FIELDS = {"dif", "dix", "guard", "sector_size", "stable_writes", "writers",
              "mmappers", "direct", "size", "block", "iodepth", "sync_every",
              "exit_status"}

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    schema TEXT NOT NULL,
    parent INTEGER REFERENCES runs(id),
    source_file TEXT,
    raw_file TEXT,
    imported TEXT NOT NULL,
    %s,
    UNIQUE (run_id, content_hash)
);
CREATE TABLE IF NOT EXISTS metrics (
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (run, name)
);
CREATE TABLE IF NOT EXISTS labels (
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    PRIMARY KEY (run, label)
);
CREATE INDEX IF NOT EXISTS metrics_name ON metrics(name);
CREATE INDEX IF NOT EXISTS labels_label ON labels(label);
CREATE INDEX IF NOT EXISTS runs_kernel ON runs(kernel_release);
""" % ",\n    ".join(
    "%s %s" % (f, "INTEGER" if f in INT_FIELDS else "TEXT") for f in ALL_FIELDS)

RESULTS_DIR = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DB = os.path.join(RESULTS_DIR, "db", "wac.db")


class BadDocument(Exception):
    """A document that cannot be imported (reported, file skipped)."""


def default_db_path(cli_value=None):
    return cli_value or os.environ.get("WAC_RESULTS_DB") or DEFAULT_DB


def open_db(path, create=True):
    if not create and not os.path.exists(path):
        raise FileNotFoundError("no results database at %s" % path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    with conn:
        conn.executescript(DDL)
        # columns added to ALL_FIELDS after a database was created
        have = {r["name"] for r in conn.execute("PRAGMA table_info(runs)")}
        for f in ALL_FIELDS:
            if f not in have:
                conn.execute("ALTER TABLE runs ADD COLUMN %s %s" % (
                    f, "INTEGER" if f in INT_FIELDS else "TEXT"))
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                     (str(SCHEMA_VERSION),))
        hv = conn.execute("SELECT value FROM meta WHERE key='hash_version'").fetchone()
        if hv is None or int(hv["value"]) < HASH_VERSION:
            _rehash(conn)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('hash_version', ?)",
                         (str(HASH_VERSION),))
    return conn


# --------------------------------------------------------------- import --

HASH_VERSION = 2


def _exact_doubles(obj):
    """Numbers as jq writes them: the harness re-serialises wac documents
    through jq, which rounds integers beyond 2**53 (the 64-bit seed) and
    prints integral floats without ".0"; the copy must hash like the
    original."""
    if isinstance(obj, dict):
        return {k: _exact_doubles(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_exact_doubles(v) for v in obj]
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int) and abs(obj) > 2 ** 53:
        return float(obj)
    if isinstance(obj, float) and obj.is_integer() and abs(obj) <= 2 ** 53:
        return int(obj)  # jq prints 35609100.0 as 35609100
    return obj


def content_hash(doc):
    canon = json.dumps(_exact_doubles(doc), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def _content_hash_v1(doc):
    canon = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def _rehash(conn):
    """Databases from before HASH_VERSION 2: recompute content hashes from
    the raw documents kept beside the database."""
    cache = {}
    for r in conn.execute("SELECT id, content_hash, raw_file FROM runs").fetchall():
        raw = r["raw_file"]
        if raw not in cache:
            try:
                with open(raw) as fh:
                    cache[raw] = json.load(fh)
            except (OSError, ValueError, TypeError):
                cache[raw] = None
        doc = cache[raw]
        if doc is None:
            continue
        cands = [doc] + [w for w in (doc.get("wac") or []) if isinstance(w, dict)]
        for c in cands:
            if _content_hash_v1(c) == r["content_hash"]:
                conn.execute("UPDATE runs SET content_hash=? WHERE id=?", (content_hash(c), r["id"]))
                break


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
        "sector_size": tgt.get("sector_size") or cfg.get("sector_size"),
        "integrity_format": integ.get("format"),
        "stable_writes": tgt.get("stable_writes"),
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
    return f, m


def _fmt_duration(v):
    n = _num(v)
    if n is None:
        return None
    return ("%g" % n)


def harness_fields(doc):
    for k in ("run_id", "scenario"):
        if k not in doc:
            raise BadDocument("wac-harness/1 document without '%s'" % k)
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


def _fio_op_names(opts):
    eng = opts.get("ioengine", "psync")
    direct = str(opts.get("direct", "0")) == "1"
    if eng == "mmap":
        wname, sname = "mmap_store", "msync"
    else:
        wname = "direct_write" if direct else "write"
        if "sync_file_range" in opts:
            sname = "sync_file_range"
        elif "fdatasync" in opts:
            sname = "fdatasync"
        else:
            sname = "fsync"
    return wname, sname


PCT_NAMES = {"50.000000": "p50", "90.000000": "p90", "99.000000": "p99",
             "99.900000": "p999"}


def _fio_latency(lat, out, prefix):
    if not isinstance(lat, dict) or not lat.get("N"):
        return
    for k, name in PCT_NAMES.items():
        v = _num((lat.get("percentile") or {}).get(k))
        if v is not None:
            out["%s.%s" % (prefix, name)] = v
    for k in ("max", "mean"):
        if _num(lat.get(k)) is not None:
            out["%s.%s" % (prefix, k)] = float(lat[k])
    out["%s.count" % prefix] = float(lat["N"])


def _size_bytes(s):
    if s is None:
        return None
    s = str(s).strip()
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    low = s.lower().rstrip("ib").rstrip("b") if not s.isdigit() else s
    try:
        if low and low[-1] in mult:
            return int(float(low[:-1]) * mult[low[-1]])
        return int(float(low))
    except ValueError:
        return None


def fio_fields(doc, ctx):
    """doc: fio --output-format=json output; ctx: the wac-fio/1 envelope
    (or {} for a bare fio document)."""
    jobs = doc.get("jobs")
    if not isinstance(jobs, list) or not jobs:
        raise BadDocument("fio document without jobs")
    gopts = doc.get("global options") or {}
    opts = dict(gopts)
    opts.update(jobs[0].get("job options") or {})
    writers = mmappers = 0
    for jo in _fio_job_opts(gopts, jobs):
        n = _int_or_none(jo.get("numjobs")) or 1
        if jo.get("ioengine") == "mmap":
            mmappers += n
        else:
            writers += n
    tgt = ctx.get("target") or {}
    kern = ctx.get("kernel") or {}
    engines = {o.get("ioengine", "psync") for o in _fio_job_opts(gopts, jobs)}
    f = {
        "tool": "fio",
        "scenario": ctx.get("job") or jobs[0].get("jobname"),
        "profile": ctx.get("profile"),
        "fs": tgt.get("fs_type"),
        "sector_size": tgt.get("sector_size"),
        "stable_writes": tgt.get("stable_writes"),
        "writers": writers,
        "mmappers": mmappers,
        "direct": 1 if str(opts.get("direct", "0")) == "1" else 0,
        "size": _size_bytes(opts.get("size")),
        "block": _size_bytes(opts.get("bs")),
        "engine": engines.pop() if len(engines) == 1 else "mixed",
        "iodepth": _int_or_none(opts.get("iodepth")) or 1,
        "write_sync": _fio_write_sync(gopts, jobs),
        "msync": _fio_msync(gopts, jobs),
        "duration_s": _fmt_duration(_num(_int_or_none(opts.get("runtime")))),
        "host": ctx.get("host"),
        "kernel_release": kern.get("release"),
        "suite_commit": ctx.get("suite_commit"),
        "started": ctx.get("started") or _epoch_iso(doc.get("timestamp")),
        "verdict": "pass" if all(not j.get("error") for j in jobs) else "error",
        "exit_status": ctx.get("exit_status"),
    }
    m = {}
    tot_bytes = 0.0
    iops = bw = sync_rate = 0.0
    runtime_ms = 0.0
    per_op = {}
    for j in jobs:
        jopts = dict(gopts)
        jopts.update(j.get("job options") or {})
        jw, js = _fio_op_names(jopts)
        w = j.get("write") or {}
        sy = j.get("sync") or {}
        # job_runtime is summed over the jobs of a reporting group: the
        # group's wall time is "elapsed"; sync rates are derived from the
        # write rate and the sync/write count ratio instead
        runtime_ms = max(runtime_ms, 1000.0 * (_num(j.get("elapsed")) or 0.0))
        w_ios = _num(w.get("total_ios")) or 0.0
        w_rate = _num(w.get("iops")) or 0.0
        o = per_op.setdefault(jw, {"ops_per_s": 0.0, "mb_per_s": 0.0, "count": 0.0, "bytes": 0.0})
        o["ops_per_s"] += _num(w.get("iops")) or 0.0
        o["mb_per_s"] += (_num(w.get("bw_bytes")) or 0.0) / 1e6
        o["count"] += _num(w.get("total_ios")) or 0.0
        o["bytes"] += _num(w.get("io_bytes")) or 0.0
        iops += _num(w.get("iops")) or 0.0
        bw += _num(w.get("bw_bytes")) or 0.0
        tot_bytes += _num(w.get("io_bytes")) or 0.0
        # fio counts fsync/msync in sync.total_ios, sync_file_range only in
        # the latency sample count
        n_sync = max(_num(sy.get("total_ios")) or 0.0,
                     _num((sy.get("lat_ns") or {}).get("N")) or 0.0)
        if n_sync:
            o = per_op.setdefault(js, {"ops_per_s": 0.0, "count": 0.0})
            o["count"] += n_sync
            if w_ios:
                o["ops_per_s"] += w_rate * n_sync / w_ios
                sync_rate += w_rate * n_sync / w_ios
        m["errors.total"] = m.get("errors.total", 0.0) + (1.0 if j.get("error") else 0.0)
        # fio's completion latency is what wac calls the op latency; with
        # several reporting groups each op kind comes from its own group
        if "latency_ns.%s.p50" % jw not in m:
            _fio_latency(w.get("clat_ns"), m, "latency_ns." + jw)
        if "latency_ns.%s.p50" % js not in m:
            _fio_latency(sy.get("lat_ns"), m, "latency_ns." + js)
    for op, vals in per_op.items():
        for k, v in vals.items():
            m["ops.%s.%s" % (op, k)] = v
    m["total.ops_per_s"] = iops  # data ops only, as wac counts them
    m["total.mb_per_s"] = bw / 1e6
    m["total.bytes"] = tot_bytes
    if runtime_ms:
        m["duration_s"] = runtime_ms / 1000.0
    for k in ("usr_cpu", "sys_cpu"):
        if len(jobs) == 1 and _num(jobs[0].get(k)) is not None:
            m["cpu." + k] = float(jobs[0][k])
    return f, m


def _fio_job_opts(gopts, jobs):
    for j in jobs:
        o = dict(gopts)
        o.update(j.get("job options") or {})
        yield o


def _fio_write_sync(gopts, jobs):
    """wac's --write-sync name for the write jobs' sync option."""
    for o in _fio_job_opts(gopts, jobs):
        if o.get("ioengine") == "mmap":
            continue
        sfr = o.get("sync_file_range")
        if sfr is not None:
            return "sfr-wait" if "wait" in str(sfr) else "sfr-write"
        for k in ("fdatasync", "fsync"):
            if k in o:
                return k
        return "none"
    return None


def _fio_msync(gopts, jobs):
    """wac's --msync name for the mmap jobs (fio: fsync=N means MS_SYNC)."""
    for o in _fio_job_opts(gopts, jobs):
        if o.get("ioengine") == "mmap":
            return "sync" if "fsync" in o or "fdatasync" in o else "none"
    return None


def _epoch_iso(ts):
    n = _num(ts)
    if n is None:
        return None
    return datetime.datetime.fromtimestamp(n, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def fio_run_id(doc, ctx):
    if ctx.get("run_id"):
        return str(ctx["run_id"])
    return "fio-%s-%s" % (doc.get("timestamp_ms") or doc.get("timestamp"),
                          content_hash(doc)[:8])


def classify(doc):
    if not isinstance(doc, dict):
        raise BadDocument("top level is not a JSON object")
    s = doc.get("schema")
    if s == "wac/1" or s == "wac-harness/1" or s == "wac-fio/1":
        return s
    if isinstance(s, str) and s.split("/")[0] in ("wac", "wac-harness", "wac-fio"):
        raise BadDocument("unsupported schema version %r" % s)
    if "fio version" in doc and "jobs" in doc:
        return "fio"
    raise BadDocument("not a wac/1, wac-harness/1 or fio JSON document")


class Importer:
    def __init__(self, conn, db_path, labels=(), keep_raw=True, log=sys.stderr,
                 defaults=None):
        self.conn = conn
        # column values for runs whose documents do not carry them (e.g.
        # suite_commit for a wac run the nightly made); never overrides
        self.defaults = dict(defaults or {})
        self.raw_dir = os.path.join(os.path.dirname(os.path.abspath(db_path)), "raw")
        self.labels = list(labels)
        self.keep_raw = keep_raw
        self.log = log
        self.added = 0
        self.present = 0
        self.failed = 0

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
        vals = [run_id, chash, schema, parent, source, raw,
                datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")]
        for k in ALL_FIELDS:
            v = fields.get(k)
            if k in INT_FIELDS:
                v = _int_or_none(v)
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
        return dst

    def import_doc(self, doc, path, data):
        kind = classify(doc)
        chash = content_hash(doc)
        new = 0
        if kind == "wac/1":
            f, m = wac_fields(doc)
            raw = self._keep_raw(path, data, chash)
            _, added = self._insert(str(doc["run_id"]), chash, kind, f, m, path, raw)
            new += added
        elif kind == "wac-harness/1":
            f, m = harness_fields(doc)
            raw = self._keep_raw(path, data, chash)
            pid, added = self._insert(str(doc["run_id"]), chash, kind, f, m, path, raw)
            new += added
            for i, w in enumerate(doc.get("wac") or []):
                if not isinstance(w, dict) or w.get("schema") != "wac/1":
                    raise BadDocument("wac[%d] is not a wac/1 document" % i)
                wf, wm = wac_fields(w)
                for k in INHERITED:
                    if f.get(k) is not None:
                        wf[k] = f[k]
                if not wf.get("kernel_release"):
                    wf["kernel_release"] = f.get("kernel_release")
                if wf.get("stable_writes") is None:
                    wf["stable_writes"] = f.get("stable_writes")
                wf["host"] = f.get("host") if f.get("backend") == "vm" else (wf.get("host") or f.get("host"))
                _, added = self._insert(str(w["run_id"]), content_hash(w), "wac/1",
                                        wf, wm, path, raw, parent=pid)
                new += added
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

    def import_file(self, path):
        """Import one file in one transaction.  Returns True unless the
        file was skipped for an error (which is reported on stderr)."""
        try:
            with open(path, "rb") as fh:
                data = fh.read()
            try:
                doc = json.loads(data.decode("utf-8"))
            except UnicodeDecodeError as e:
                raise BadDocument("not UTF-8 text: %s" % e)
            except json.JSONDecodeError as e:
                raise BadDocument("corrupt JSON: %s" % e)
            with self.conn:  # one transaction per file: all or nothing
                new = self.import_doc(doc, path, data)
        except (BadDocument, OSError, sqlite3.DatabaseError,
                TypeError, ValueError, AttributeError, KeyError) as e:
            self.failed += 1
            print("wac-results: %s: skipped: %s" % (path, e), file=self.log)
            return False
        if new:
            self.added += 1
        else:
            self.present += 1
        return True

    def import_paths(self, paths):
        ok = True
        for p in paths:
            if os.path.isdir(p):
                raw = os.path.realpath(self.raw_dir)
                for dirpath, dirnames, files in os.walk(p):
                    # never re-import the store's own copies
                    dirnames[:] = sorted(d for d in dirnames if os.path.realpath(
                        os.path.join(dirpath, d)) != raw)
                    for name in sorted(files):
                        if name.endswith(".json"):
                            ok &= self.import_file(os.path.join(dirpath, name))
            elif os.path.exists(p):
                ok &= self.import_file(p)
            else:
                self.failed += 1
                ok = False
                print("wac-results: %s: no such file or directory" % p, file=self.log)
        return ok


# ------------------------------------------------------------ selection --

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
                ok = False
                for alt in v.split("|"):
                    if (self._match(rel, alt) or self._match(alias, alt) or
                            (rel and (rel.startswith(alt + ".") or rel.startswith(alt + "-")))):
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


# ------------------------------------------------------------ statistics --

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


def judge(name, base_vals, new_vals, min_runs=3, overrides=()):
    """One metric of one group: statistics and the verdict.

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
    worse = (direction > 0 and change < 0) or (direction < 0 and change > 0)
    if direction == 0:
        res["verdict"] = "changed"
    elif worse:
        res["verdict"] = "REGRESSION"
    else:
        res["verdict"] = "improvement"
    res["reason"] = "ranges separate, change >= %g%%" % minpct
    return res


def compare(conn, base_sel, new_sel, patterns, min_runs=3, overrides=(),
            ignore=(), tools=None):
    base = load_runs(conn, base_sel, tools)
    new = load_runs(conn, new_sel, tools)
    drop = base_sel.fields() | new_sel.fields() | set(ignore)
    fields = [f for f in KEY_FIELDS if f not in drop]
    bmet = load_metrics(conn, [r["id"] for r in base], patterns)
    nmet = load_metrics(conn, [r["id"] for r in new], patterns)
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
            results.append(judge(name, bv, nv, min_runs, overrides))
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
