"""KCIDB export: the store's scenario runs and standalone wac runs as a
KCIDB I/O v5 document, and the check of such documents against
results/schema/kcidb-v5.json (a subset of kcidb-io's schema; the version
written is the one that file names).

The mapping (results/README.md, "KCIDB"):

  checkout  one per kernel: Debian's source of that kernel package (no git
            fields: the store does not know them, and KCIDB forbids nulls)
  build     one per kernel: Debian built it, so status PASS
  test      one per harness scenario run (scenario x kernel x repeat), path
            stablepages.<scenario>, status from the judge's outcome; one
            per standalone wac run (no harness parent), path
            stablepages.wac.<profile>, status from wac's verdict

Ids are hashes of what the documents say (run_id, scenario, kernel,
start time; a wac run's content hash), never of row ids or the time of
the export, so a re-export (or an export of another store holding the same
documents) gives the same ids, and a re-judged scenario run keeps its id:
KCIDB then updates the test instead of adding one.
"""

import hashlib
import json
import math
import os
import re
import tempfile
import urllib.parse

from .selection import load_metrics, load_runs
from .store import RESULTS_DIR

SCHEMA_FILE = os.path.join(RESULTS_DIR, "schema", "kcidb-v5.json")
DEFAULT_ORIGIN = "wac"
PATH_ROOT = "stablepages"
ORIGIN_RE = re.compile(r"^[a-z0-9_]+$")
# Debian's kernel releases: 6.1.0-27-amd64, 6.12.38+deb13-cloud-amd64,
# 6.12.9+bpo-rt-amd64; the flavour is the build's configuration
DEBIAN_RELEASE = re.compile(
    r"^\d+\.\d+(?:\.\d+)?(?:-\d+|\+deb\d+|\+bpo)-(?P<flavour>(?:rt-|cloud-)?"
    r"(?P<arch>amd64|arm64|i386|686|686-pae|armmp|armmp-lpae|ppc64el|s390x))$")
FLAVOUR_ARCH = {"amd64": "x86_64", "arm64": "arm64", "i386": "i386", "686": "i386",
                "686-pae": "i386", "armmp": "arm", "armmp-lpae": "arm",
                "ppc64el": "powerpc", "s390x": "s390"}
DEFAULT_ARCH = "x86_64"  # the VM backend is qemu-system-x86_64

# The harness judge's outcome -> KCIDB status.  ok is PASS for a detect
# scenario too: the suite detected what it had to.  An error before the
# scenario ran (QEMU failed, the kernel never reached init) is MISS.
OUTCOME_STATUS = {"ok": "PASS", "unexpected": "FAIL", "error": "ERROR", "skip": "SKIP",
                  "interrupted": "ERROR"}  # harness/run got a signal mid-scenario
NOT_RUN_VM_STATUS = {"qemu-error", "noboot"}
# wac's verdict -> KCIDB status (a hang is a finding about the kernel)
VERDICT_STATUS = {"pass": "PASS", "fail": "FAIL", "hang": "FAIL", "error": "ERROR"}
MEASURED = {"FAIL", "ERROR", "PASS", "DONE"}  # statuses whose "number" counts


class ExportError(Exception):
    """Bad input to the export (exit 2, nothing written)."""


class SchemaUnavailable(Exception):
    """python3-jsonschema is missing, or the schema file is unreadable."""


# ------------------------------------------------------------- schema --

def load_schema(path=SCHEMA_FILE):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError) as e:
        raise SchemaUnavailable("%s: %s" % (path, e))


def schema_version(schema):
    """{major, minor} that schema file describes (its version const and
    the highest minor it admits)."""
    v = schema["properties"]["version"]["properties"]
    return {"major": v["major"]["const"], "minor": v["minor"]["maximum"]}


def _where(path):
    out = ""
    for p in path:
        out += "[%d]" % p if isinstance(p, int) else (".%s" % p if out else str(p))
    return out or "(top level)"


def validate(doc, schema=None):
    """Every way doc breaks the schema, as 'where: what' lines (empty when
    valid).  Draft 7 with format checks, as kcidb-io validates."""
    try:
        import jsonschema
    except ImportError:
        raise SchemaUnavailable("python3-jsonschema is not installed (harness/install-deps)")
    schema = schema or load_schema()
    v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errs = sorted(v.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return ["%s: %s" % (_where(e.absolute_path), e.message) for e in errs]


# -------------------------------------------------------------- export --

def _hash(*parts):
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _clean(obj):
    """obj without None values and empty containers (KCIDB forbids null)."""
    if isinstance(obj, dict):
        out = {k: _clean(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(obj, list):
        return [_clean(v) for v in obj if v is not None]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _raw(run):
    """The run's stored document (raw copy or source file), or {}."""
    for p in (run.get("raw_file"), run.get("source_file")):
        try:
            with open(p, "rb") as fh:
                doc = json.loads(fh.read().decode("utf-8"))
            return doc if isinstance(doc, dict) else {}
        except (OSError, TypeError, ValueError):
            continue
    return {}


def _number(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) \
        and math.isfinite(v) else None


def _path_part(name):
    """One component of a KCIDB path: [a-zA-Z0-9_-]+."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", str(name or "unknown")) or "unknown"


def _channels(text):
    return [c for c in (text or "").split(",") if c]


class Exporter:
    def __init__(self, conn, origin=DEFAULT_ORIGIN, log_base_url=None, runs_dir=None):
        if not ORIGIN_RE.match(origin or ""):
            raise ExportError("--origin %r: KCIDB origins are [a-z0-9_]+" % origin)
        if log_base_url is not None:
            u = urllib.parse.urlsplit(log_base_url)
            if u.scheme not in ("http", "https") or not u.netloc:
                raise ExportError("--log-base-url %r is not an http(s) URL" % log_base_url)
        self.conn = conn
        self.origin = origin
        self.log_base_url = log_base_url
        self.runs_dir = os.path.realpath(runs_dir or os.path.join(RESULTS_DIR, "runs"))
        self.kernels = {}  # kernel key -> {release, alias, package}

    def _id(self, kind, *parts):
        return "%s:%s-%s" % (self.origin, kind, _hash(*parts))

    # -- kernels: one checkout and one build each
    def _kernel(self, run, doc):
        kern = doc.get("kernel") if isinstance(doc.get("kernel"), dict) else {}
        key = run.get("kernel_release") or run.get("kernel_alias") or "unknown"
        k = self.kernels.setdefault(key, {"release": run.get("kernel_release")})
        k["alias"] = k.get("alias") or run.get("kernel_alias")
        k["package"] = k.get("package") or kern.get("package")
        return self._id("b", "kernel", key)

    def _checkout_build(self, key, k):
        rel = k.get("release")
        m = DEBIAN_RELEASE.match(rel or "")
        debian = bool(m) or str(k.get("package") or "").startswith("linux-image-")
        flavour = m.group("flavour") if m else None
        package = k.get("package") or ("linux-image-%s" % rel if debian and rel else None)
        cid = self._id("c", "kernel", key)
        what = "Debian kernel package %s" % package if debian else "kernel %s" % key
        checkout = {
            "id": cid, "origin": self.origin, "tree_name": "debian" if debian else None,
            "comment": what, "valid": True,
            "misc": {"kernel_release": rel, "kernel_alias": k.get("alias"),
                     "kernel_package": package},
        }
        arch = FLAVOUR_ARCH.get(m.group("arch") if m else None, DEFAULT_ARCH)
        build = {
            "id": self._id("b", "kernel", key), "checkout_id": cid, "origin": self.origin,
            "architecture": arch, "config_name": flavour,
            "status": "PASS",
            "comment": ("built by Debian: %s" % package) if debian else
                       "kernel %s, built outside the suite" % key,
            "misc": {"kernel_release": rel, "kernel_package": package},
        }
        return _clean(checkout), _clean(build)

    # -- tests
    def _log_url(self, path):
        if not self.log_base_url or not path:
            return None
        rel = os.path.relpath(os.path.realpath(path), self.runs_dir)
        if rel.startswith(".."):
            return None  # not under the published directory: no URL to give
        return self.log_base_url.rstrip("/") + "/" + urllib.parse.quote(rel, safe="/@+:,=")

    def harness_test(self, run, metrics, children_metrics):
        doc = _raw(run)
        obs = doc.get("observed") if isinstance(doc.get("observed"), dict) else {}
        vm_status = obs.get("vm_status")
        outcome = run.get("outcome")
        status = OUTCOME_STATUS.get(outcome, "MISS")
        if outcome == "error" and vm_status in NOT_RUN_VM_STATUS:
            status = "MISS"
        ops = _number(obs.get("ops_per_s"))
        if ops is None:  # wac-harness/1: its first wac run's
            ops = next((m["total.ops_per_s"] for m in children_metrics
                        if "total.ops_per_s" in m), None)
        reason = doc.get("reason") or None
        expected = run.get("expected_outcome")
        if run.get("expected_channels"):
            expected = "%s:%s" % (expected, run["expected_channels"])
        comment = "%s on %s: %s (expected %s, observed %s)%s" % (
            run.get("scenario"), run.get("kernel_release") or run.get("kernel_alias"),
            outcome, expected, run.get("verdict"), ": " + reason if reason else "")
        log = None
        src = run.get("source_file") or ""
        if os.path.basename(src) == "harness.json":
            log = os.path.join(os.path.dirname(src),
                               "serial.log" if run.get("backend") == "vm" else "steps.log")
        dev = doc.get("device") if isinstance(doc.get("device"), dict) else {}
        test = {
            "id": self._id("t", "harness", run["run_id"], run.get("scenario"),
                           run.get("kernel_release") or run.get("kernel_alias"),
                           run.get("started")),
            "build_id": self._kernel(run, doc), "origin": self.origin,
            "path": "%s.%s" % (PATH_ROOT, _path_part(run.get("scenario"))),
            "status": status, "comment": comment,
            "start_time": run.get("started"),
            "duration": _number(metrics.get("wall_s")),
            "number": {"value": ops, "unit": "ops/s"} if ops is not None and status in MEASURED else None,
            "environment": self._environment(run, {
                "device_kind": run.get("device_kind"), "dif": run.get("dif"),
                "dix": run.get("dix"), "guard": run.get("guard"),
                "sector_size": run.get("sector_size"),
                "integrity_format": dev.get("integrity_format"),
                "fs": run.get("fs"), "stable_writes": run.get("stable_writes")}),
            "log_url": self._log_url(log),
            "misc": {
                "run_id": run["run_id"], "scenario": run.get("scenario"),
                "kernel_release": run.get("kernel_release"),
                "kernel_alias": run.get("kernel_alias"),
                "outcome": outcome, "expected": expected, "reason": reason,
                "wac_verdict": run.get("verdict"),
                "channels": _channels(run.get("observed_channels")),
                "vm_status": vm_status, "repeat": doc.get("repeat"),
                "rejudged": doc.get("rejudged"), "suite_commit": run.get("suite_commit"),
                "schema": run.get("schema"),
            },
        }
        return test

    def wac_test(self, run, metrics):
        doc = _raw(run)
        verdict = run.get("verdict")
        status = VERDICT_STATUS.get(verdict, "MISS")
        if doc.get("interrupted") is True and status == "PASS":
            status = "MISS"  # stopped early: its pass does not speak for the kernel
        ops = _number(metrics.get("total.ops_per_s"))
        reasons = [r for r in doc.get("reasons") or [] if isinstance(r, str)]
        test = {
            "id": self._id("t", "wac", run["run_id"], run["content_hash"]),
            "build_id": self._kernel(run, {}), "origin": self.origin,
            "path": "%s.wac.%s" % (PATH_ROOT, _path_part(run.get("profile"))),
            "status": status,
            "comment": "wac profile %s on %s: %s%s" % (
                run.get("profile"), run.get("kernel_release"), verdict,
                ": " + "; ".join(reasons) if reasons else ""),
            "start_time": run.get("started"),
            "duration": _number(metrics.get("wall_s")),
            "number": {"value": ops, "unit": "ops/s"} if ops is not None and status in MEASURED else None,
            "environment": self._environment(run, {
                "device_kind": run.get("device_kind"), "fs": run.get("fs"),
                "stable_writes": run.get("stable_writes"),
                "sector_size": run.get("sector_size")}),
            "log_url": self._log_url(run.get("source_file")),
            "misc": {
                "run_id": run["run_id"], "kind": doc.get("kind"),
                "wac_verdict": verdict, "reasons": reasons,
                "channels": doc.get("channels") if isinstance(doc.get("channels"), list) else None,
                "interrupted": doc.get("interrupted"),
                "profile": run.get("profile"), "writers": run.get("writers"),
                "mmappers": run.get("mmappers"), "write_sync": run.get("write_sync"),
                "msync": run.get("msync"), "size": run.get("size"), "block": run.get("block"),
                "kernel_release": run.get("kernel_release"),
                "suite_commit": run.get("suite_commit"), "content_hash": run["content_hash"],
            },
        }
        return test

    @staticmethod
    def _environment(run, misc):
        backend, accel = run.get("backend"), run.get("accel")
        if backend == "vm":
            comment = "QEMU %s VM" % (accel or "unknown accelerator").upper()
        elif backend == "native" or run.get("tool") == "wac":
            comment = "native" + (" (host %s)" % run["host"] if run.get("host") else "")
        else:
            comment = None
        misc = dict(misc, backend=backend, accel=accel, host=run.get("host"))
        return {"comment": comment, "misc": misc}

    def export(self, selector, version):
        """The KCIDB document of the selected runs: harness scenario runs
        and standalone wac runs (fio runs and the wac runs inside a harness
        run are not tests of their own)."""
        runs = [r for r in load_runs(self.conn, selector)
                if r["tool"] == "harness" or (r["tool"] == "wac" and r["parent"] is None)]
        if not runs:
            raise ExportError("no harness or standalone wac run matches %r: nothing to export"
                              % (selector.text if selector is not None else "all"))
        children = {}
        for r in self.conn.execute("SELECT id, parent FROM runs WHERE parent IS NOT NULL "
                                   "ORDER BY started, id"):
            children.setdefault(r["parent"], []).append(r["id"])
        wanted = [r["id"] for r in runs] + [c for r in runs for c in children.get(r["id"], [])]
        met = load_metrics(self.conn, wanted, ["total.ops_per_s", "wall_s"])
        tests = {}
        for r in runs:
            if r["tool"] == "harness":
                t = self.harness_test(r, met[r["id"]], [met[c] for c in children.get(r["id"], [])])
            else:
                t = self.wac_test(r, met[r["id"]])
            t = _clean(t)
            # the same run stored twice (re-judged): the later import wins
            # (row order only breaks a tie within one second; ids never
            # come from rows)
            old = tests.get(t["id"])
            if old is None or (r["imported"], r["id"]) >= old[0]:
                tests[t["id"]] = ((r["imported"], r["id"]), t)
        checkouts, builds = [], []
        for key in sorted(self.kernels):
            c, b = self._checkout_build(key, self.kernels[key])
            checkouts.append(c)
            builds.append(b)
        out = sorted((t for _, t in tests.values()),
                     key=lambda t: (t.get("start_time", ""), t["id"]))
        return {"version": dict(version), "checkouts": checkouts, "builds": builds,
                "tests": out}


def dumps(doc):
    """The document as written: sorted keys, so that exports compare byte for byte."""
    return json.dumps(doc, indent=1, sort_keys=True, allow_nan=False) + "\n"


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kcidb.", dir=d)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
