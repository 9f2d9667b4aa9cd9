"""LAVA jobs back into the store: a farm's runs of harness/lava jobs land
as harness runs (backend "lava") of their scenario and kernel.

A job directory holds what a LAVA server gives for one job (any of):

  definition.yaml   the job as submitted (`lavacli jobs definition ID`):
                    its metadata names scenario, kernel and expectation
  results.yaml|json the job's test cases as the REST API returns them
                    (/api/v0.2/jobs/ID/tests/ or `lavacli results ID --yaml`):
                    a list (or {"results": [...]}) of {suite, name, result,
                    measurement, unit, metadata, job}
  log.yaml          the job log (`lavacli jobs logs ID --raw`): one
                    {dt, lvl, msg} per line
  lava-run.log      the same log as a local `lava-run` prints it (JSON lines)

Without results the test cases come from the log's `results` lines;
without a definition scenario and kernel come from the guest's
"wac-lava: start NAME RELEASE expect=EXPECT" line (harness/guest/lava.sh).

The guest's channel_* cases measure 1 when a channel fired; the observed
channels are rebuilt from those measurements and judged here by the one
judge (outcome.against), so the stored outcome never rests on the guest's
own comparison.  ops_per_s and latency_OP_pNN become the metrics
total.ops_per_s and latency_ns.OP.pNN, as a wac/1 document's are named.
"""

import json
import os
import re

from . import outcome as J
from .store import BadDocument, content_hash

JOB_FILES = ("definition.yaml", "results.yaml", "results.json", "log.yaml", "lava-run.log")
START = re.compile(r"wac-lava: start (\S+) (\S+) expect=(\S*)")
SKIPPED = re.compile(r"wac-lava: skipped: (.*)")


def is_job_dir(files):
    """Does a directory listing look like a LAVA job's export?"""
    return any(f in files for f in JOB_FILES if f != "results.json")


def _yaml():
    try:
        import yaml
    except ImportError:
        return None
    return yaml


def _load(path):
    """A JSON or YAML document (YAML needs PyYAML: python3-yaml)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        return json.loads(text)
    except ValueError:
        pass
    yaml = _yaml()
    if yaml is None:
        raise BadDocument("%s: not JSON, and PyYAML is missing for YAML" % path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise BadDocument("%s: %s" % (path, e))


def read_log(path):
    """The job log's entries ({dt, lvl, msg}), from a server's log.yaml
    ("- {...}" lines) or lava-run's JSON lines.  lava-run writes a None
    measurement as `! "null"`, which is neither: read as null."""
    out = []
    yaml = _yaml()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("- "):
                line = line[2:]
            if not line.startswith("{"):
                continue
            try:
                e = json.loads(line.replace('! "null"', "null"))
            except ValueError:
                if yaml is None:
                    continue
                try:
                    e = yaml.safe_load(line)
                except yaml.YAMLError:
                    continue
            if isinstance(e, dict):
                out.append(e)
    return out


def cases_from_log(log):
    """REST-shaped test cases from the log's `results` entries."""
    out = []
    for e in log:
        m = e.get("msg")
        if e.get("lvl") != "results" or not isinstance(m, dict):
            continue
        out.append({"suite": m.get("definition"), "name": m.get("case"),
                    "result": m.get("result"), "measurement": m.get("measurement"),
                    "unit": m.get("units"), "metadata": m})
    return out


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def channel_name(case):
    """channel_verify_lost -> verify:lost (the guest's IDs, harness/guest/lava.sh)."""
    ch = case[len("channel_"):]
    return "verify:" + ch[len("verify_"):] if ch.startswith("verify_") else ch


def read_job(d):
    """(definition or {}, test cases, log entries) of a job directory."""
    p = lambda n: os.path.join(d, n)  # noqa: E731
    definition = _load(p("definition.yaml")) if os.path.exists(p("definition.yaml")) else {}
    log = []
    for n in ("log.yaml", "lava-run.log"):
        if os.path.exists(p(n)):
            log = read_log(p(n))
            break
    cases = None
    for n in ("results.yaml", "results.json"):
        if os.path.exists(p(n)):
            cases = _load(p(n))
            break
    if isinstance(cases, dict):
        cases = cases.get("results")
    if cases is None:
        cases = cases_from_log(log)
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise BadDocument("%s: the results are not a list of test cases" % d)
    if not isinstance(definition, dict):
        raise BadDocument("%s: definition.yaml is not a job definition" % d)
    return definition, cases, log


def build(d):
    """(wac-harness/2 document, metrics) of one LAVA job directory."""
    definition, cases, log = read_job(d)
    meta = definition.get("metadata") or {}
    text = [str(e.get("msg")) for e in log if e.get("lvl") == "target"]
    start = next((m for t in text for m in [START.search(t)] if m), None)
    scenario = meta.get("wac.scenario") or (start.group(1) if start else None)
    release = meta.get("wac.kernel_release") or (start.group(2) if start else None)
    expect = meta.get("wac.expect") or (start.group(3) if start else "")
    if not scenario or not release:
        raise BadDocument("%s: no scenario/kernel (neither a definition with wac.* "
                          "metadata nor a 'wac-lava: start' line in the log)" % d)
    alias = meta.get("wac.kernel_alias") or ".".join(release.split(".")[:2])
    wac_cases = {c.get("name"): c for c in cases if c.get("suite") != "lava"}
    lava_job = next((c for c in cases if c.get("suite") == "lava" and c.get("name") == "job"), {})
    job_id = next((str(c["job"]) for c in cases if c.get("job") is not None), None) \
        or os.path.basename(os.path.abspath(d))

    chans = sorted(channel_name(n) for n, c in wac_cases.items()
                   if str(n).startswith("channel_") and (_num(c.get("measurement")) or 0) > 0)
    verdict = "hang" if "hang" in chans else "fail" if chans else "pass"
    guest = (wac_cases.get("scenario") or {}).get("result")
    if guest is None:
        jm = lava_job.get("metadata") or {}
        outcome, verdict = "error", "error"
        reason = "LAVA job %s: %s%s" % (lava_job.get("result") or "incomplete",
                                        jm.get("error_type") or "no scenario test case",
                                        ": " + jm["error_msg"] if jm.get("error_msg") else "")
    elif guest == "skip":
        why = next((m.group(1) for t in text for m in [SKIPPED.search(t)] if m), "")
        outcome, verdict, reason = "skip", "skip", why or "skipped in the guest"
    elif guest == "unknown":
        outcome, verdict = "error", "error"
        reason = "setup or a step failed in the guest (see the job log)"
    else:
        outcome, reason = J.against(expect, chans, verdict)
        if (outcome == "ok") != (guest == "pass"):
            reason += "%sthe guest's own comparison said %s" % ("; " if reason else "", guest)
    exp_outcome, exp_channels = J.parse_expect(expect)

    metrics = {}
    for n, c in wac_cases.items():
        v = _num(c.get("measurement"))
        m = re.match(r"^latency_(\w+)_(p\d+)$", str(n))
        if v is None:
            continue
        if n == "ops_per_s":
            metrics["total.ops_per_s"] = v
        elif m:
            metrics["latency_ns.%s.%s" % (m.group(1), m.group(2))] = v
    dts = [e["dt"] for e in log if isinstance(e.get("dt"), str)]
    wall = None
    if len(dts) > 1:
        import datetime
        try:
            t0, t1 = (datetime.datetime.fromisoformat(x) for x in (dts[0], dts[-1]))
            wall = round((t1 - t0).total_seconds(), 2)
        except ValueError:
            pass

    def i(k):
        v = meta.get(k)
        return int(v) if isinstance(v, (int, str)) and str(v).lstrip("-").isdigit() else None
    ctx = definition.get("context") or {}
    doc = {
        "schema": "wac-harness/2", "run_id": "lava-%s" % job_id, "scenario": scenario,
        "scenario_file": meta.get("wac.scenario_file"), "description": meta.get("wac.description"),
        "kernel": {"alias": alias, "release": release, "package": meta.get("wac.kernel_package")},
        "backend": "lava", "accel": "tcg" if ctx.get("no_kvm") else ("kvm" if ctx else None),
        "device": {"kind": meta.get("wac.device"), "dif": i("wac.dif"), "dix": i("wac.dix"),
                   "guard": i("wac.guard"), "sector_size": i("wac.sector_size")},
        "fs": meta.get("wac.fs"), "stable_writes": i("wac.stable_writes"),
        "steps": meta.get("wac.steps"), "wac_args": meta.get("wac.wac_args"),
        "expected": {"outcome": exp_outcome, "channels": exp_channels,
                     "direct_path": meta.get("wac.expect_direct") or "any"},
        "observed": {"verdict": verdict, "channels": chans, "vm_status": "poweroff",
                     "ops_per_s": metrics.get("total.ops_per_s"),
                     "lava": {"job": job_id, "job_result": lava_job.get("result"),
                              "guest_scenario": guest,
                              "cases": {n: c.get("result") for n, c in sorted(wac_cases.items())}}},
        "outcome": outcome, "reason": reason, "wac": [],
        "started": dts[0] if dts else None, "wall_s": wall, "host": "lava",
        "suite_commit": meta.get("wac.suite_commit"),
    }
    return doc, metrics


def import_job(imp, d):
    """Import one job directory through the Importer (one transaction);
    False (and one line on stderr) when it cannot be read."""
    from .ingest import harness_fields
    failed = imp.failed
    imp._new_raw = []
    try:
        doc, metrics = build(d)
        data = json.dumps(doc, indent=1).encode()
        chash = content_hash(doc)
        f, m = harness_fields(doc)
        m.update(metrics)
        src = os.path.join(d, "")
        with imp.conn:
            raw = imp._keep_raw(src, data, chash)
            _, added = imp._insert(doc["run_id"], chash, doc["schema"], f, m, src, raw)
    except (BadDocument, OSError, ValueError, TypeError, KeyError) as e:
        imp._drop_new_raw()  # a skipped job leaves no raw copy, as a file does
        imp._skipped(d, e)
        return False
    if added:
        imp.added += 1
    else:
        imp.present += 1
    return imp.failed == failed
