"""The SQLite store: schema, opening (with migrations) and content hashes."""

import hashlib
import json
import os
import sqlite3

SCHEMA_VERSION = 1

# Columns describing a run.  KEY_FIELDS are the ones that make two runs
# comparable: compare groups runs that agree on all of them (minus the
# fields the selectors name, and minus suite_commit).
KEY_FIELDS = [
    "tool", "scenario", "profile", "fs", "device_kind", "device_model", "dif", "dix",
    "guard", "sector_size", "integrity_format", "stable_writes", "dax", "writers",
    "mmappers", "direct", "size", "block", "engine", "iodepth",
    "write_sync", "msync", "sync_every", "duration_s", "f_mode", "layout", "accel",
    "backend", "host", "kernel_release", "prefill_write",
]
INFO_FIELDS = [
    "kernel_alias", "suite_commit", "started", "verdict", "exit_status",
    "outcome", "expected_outcome", "observed_channels", "expected_channels",
]
ALL_FIELDS = KEY_FIELDS + INFO_FIELDS
INT_FIELDS = {"dif", "dix", "guard", "sector_size", "stable_writes", "dax", "writers",
              "mmappers", "direct", "size", "block", "iodepth", "sync_every",
              "exit_status", "prefill_write"}

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
-- `wac verify` documents (kind "verify"): each belongs to the run it
-- verified (of_run), never a run of its own
CREATE TABLE IF NOT EXISTS verifies (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    of_run TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    started TEXT,
    verdict TEXT,
    exit_status INTEGER,
    channels TEXT,
    source_file TEXT,
    raw_file TEXT,
    imported TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS verify_metrics (
    verify INTEGER NOT NULL REFERENCES verifies(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (verify, name)
);
CREATE INDEX IF NOT EXISTS metrics_name ON metrics(name);
CREATE INDEX IF NOT EXISTS labels_label ON labels(label);
CREATE INDEX IF NOT EXISTS runs_kernel ON runs(kernel_release);
""" % ",\n    ".join(
    "%s %s" % (f, "INTEGER" if f in INT_FIELDS else "TEXT") for f in ALL_FIELDS)

RESULTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DB = os.path.join(RESULTS_DIR, "db", "wac.db")

# 3: the plain canonical hash (sorted keys) of the document as written.
# Versions 1-2 hashed a jq-rounded form of the harness's copies.
HASH_VERSION = 3


class BadDocument(Exception):
    """A document that cannot be imported (reported, file skipped)."""


def default_db_path(cli_value=None):
    return cli_value or os.environ.get("WAC_RESULTS_DB") or DEFAULT_DB


def content_hash(doc):
    canon = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


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


def _rehash(conn):
    """Older databases: recompute the content hashes from the raw documents
    kept beside the database, so that importing them again is a no-op.  A
    row is matched to its document by schema, run_id and start time (a
    verify run shares the run_id of the run it checks)."""
    cache = {}
    rows = conn.execute("SELECT id, run_id, schema, started, raw_file FROM runs").fetchall()
    for r in rows:
        raw = r["raw_file"]
        if raw not in cache:
            try:
                with open(raw) as fh:
                    cache[raw] = json.load(fh)
            except (OSError, ValueError, TypeError):
                cache[raw] = None
        doc = cache[raw]
        if not isinstance(doc, dict):
            continue
        if doc.get("schema", "fio") == r["schema"]:
            cand = doc
        else:
            subs = [w for w in (doc.get("wac") or []) if isinstance(w, dict)
                    and str(w.get("run_id")) == r["run_id"]
                    and w.get("started") == r["started"]]
            if not subs:
                continue
            cand = subs[0]
        h = content_hash(cand)
        clash = conn.execute("SELECT id FROM runs WHERE run_id=? AND content_hash=?",
                             (r["run_id"], h)).fetchone()
        if clash is None:
            conn.execute("UPDATE runs SET content_hash=? WHERE id=?", (h, r["id"]))
