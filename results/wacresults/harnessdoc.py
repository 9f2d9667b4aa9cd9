"""The one writer of harness.json (wac-harness/2).

A run directory holds what the host wrote (context.json), what the guest
wrote (result.json, wac-N.json, dmesg.txt) and the serial log.  This reads
them, asks wac to classify the guest's kernel log, judges the run
(outcome.py) and writes DIR/harness.json atomically.  Stored runs from
before context.json/result.json (a wac-harness/1 harness.json, result.env,
a skip file) are read too, so that they can be judged again.
"""

import hashlib
import json
import os
import re
import shlex
import subprocess
import tempfile

from . import outcome as J
from . import tasks

SCHEMA = "wac-harness/2"
LOGS = ("dmesg.txt", "serial.log", "console.log")
START = re.compile(rb"wac-guest: scenario .* start")
WAC_FILE = re.compile(r"^wac-(\d+)\.json$")
DEVICE_FACTS = [  # result.json key -> harness.json device key
    ("integrity_format", "integrity_format"),
    ("integrity_format_top", "integrity_format_top"),
    ("flakey_dev", "flakey_dev"),
    ("stable_writes_top_initial", "stable_writes_top_initial"),
    ("stable_writes_top", "stable_writes_top"),
    ("stable_writes_initial", "stable_writes_initial"),
    ("stable_writes_set", "stable_writes_after_set"),
    ("device_na", "na"),  # why a target has no block device (tmpfs)
    ("overlay_layers", "overlay_layers"),
]
NO_DISK = ("dif", "dix", "guard", "sector_size")  # null without a disk


class Unusable(Exception):
    """The directory cannot be judged (exit 2, nothing written)."""


def _load(path):
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise Unusable("%s: %s" % (path, e))


# ------------------------------------------------------------------ inputs --

def context_of(d):
    """context.json, or the same facts from a stored harness.json."""
    p = os.path.join(d, "context.json")
    if os.path.exists(p):
        ctx = _load(p)
        if not isinstance(ctx, dict):
            raise Unusable("%s: not a JSON object" % p)
        return ctx
    p = os.path.join(d, "harness.json")
    if not os.path.exists(p):
        raise Unusable("%s: no context.json (nor a stored harness.json)" % d)
    h = _load(p)
    if not isinstance(h, dict) or h.get("schema") not in ("wac-harness/1", SCHEMA):
        raise Unusable("%s: not a wac-harness document" % p)
    exp = h.get("expected") or {}
    obs = h.get("observed") or {}
    ctx = {k: h.get(k) for k in (
        "run_id", "scenario", "scenario_file", "description", "kernel", "backend",
        "accel", "fs", "stable_writes", "steps", "wac_args", "started", "wall_s",
        "boot_s", "boot_image", "initrd", "host", "suite_commit")}
    ctx["device"] = {k: (h.get("device") or {}).get(k) for k in (
        "kind", "dif", "dix", "guard", "sector_size", "dev_size_mb", "flakey")}
    ctx["expect"] = ":".join([exp.get("outcome") or ""] + (
        [",".join(exp["channels"])] if exp.get("channels") else []))
    ctx["expect_direct"] = exp.get("direct_path") or "any"
    ctx["vm_status"] = obs.get("vm_status") or "poweroff"
    ctx["boot_retries"] = obs.get("boot_retries") or 0
    if h.get("schema") == "wac-harness/1":
        for i, _ in enumerate(h.get("wac") or []):
            if not os.path.exists(os.path.join(d, "wac-%d.json" % (i + 1))):
                raise Unusable("%s embeds wac documents that are not beside it" % p)
    return ctx


def _env_value(v):
    try:
        parts = shlex.split(v)
    except ValueError:
        return v
    return parts[0] if len(parts) == 1 else v


def result_of(d):
    """result.json, or the same facts from a stored result.env + skip."""
    p = os.path.join(d, "result.json")
    if os.path.exists(p):
        res = _load(p)
        if not isinstance(res, dict):
            raise Unusable("%s: not a JSON object" % p)
        return res
    res = {"setup": None, "failed_step": None, "skip": None, "wac": [], "sh": []}
    try:
        with open(os.path.join(d, "result.env"), errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        k, sep, v = line.partition("=")
        if not sep:
            continue
        v = _env_value(v)
        m = re.match(r"^(wac|sh)_(\d+)_exit$", k)
        if m:
            e = {"n": int(m.group(2)), "exit": int(v) if v.lstrip("-").isdigit() else None}
            if m.group(1) == "wac":
                e["json"] = "wac-%s.json" % m.group(2)
            res[m.group(1)].append(e)
        elif k == "setup":
            res["setup"] = "ok" if v == "ok" else "failed"
        else:
            res[k] = v if v != "" else None
    try:
        with open(os.path.join(d, "skip"), errors="replace") as fh:
            res["skip"] = fh.read().strip() or "skipped"
    except OSError:
        pass
    return res


def guest_log(d):
    """The guest's kernel log from the scenario's (last) start marker on:
    on the native backend dmesg also holds every earlier run.  A log
    without the marker (dmesg.txt whose ring buffer a task dump overran)
    gives way to the next one, so nothing after the marker is lost."""
    for name in LOGS:
        p = os.path.join(d, name)
        if os.path.exists(p) and os.path.getsize(p) > 0:
            with open(p, "rb") as fh:
                data = fh.read()
            m = None
            for m in START.finditer(data):
                pass
            if m:
                return data[data.rfind(b"\n", 0, m.start()) + 1:]
    return b""


def classify_log(wac, log, devices=()):
    """`wac kmsg-classify --json` over the log (wac-kmsg/1); lines that
    name only devices outside DEVICES (the scenario's stack) are set
    aside by wac."""
    empty = {"schema": "wac-kmsg/1", "lines": 0, "classes": {}, "channels": []}
    if not log:
        return empty
    cmd = [wac, "kmsg-classify", "--json"]
    if devices:
        cmd += ["--devices", ",".join(devices)]
    try:
        r = subprocess.run(cmd, input=log,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Unusable("%s kmsg-classify: %s" % (wac, e))
    try:
        doc = json.loads(r.stdout.decode("utf-8")) if r.returncode == 0 else None
    except (UnicodeDecodeError, ValueError):
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("classes"), dict):
        why = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Unusable("%s kmsg-classify failed (exit %d%s)" % (
            wac, r.returncode, ": " + why[0] if why else ""))
    return doc


def scenario_devices(result):
    """The kernel names of the scenario's device stack (base disk, dm, an
    md array and its members)."""
    md = md_of(result) or {}
    names = [result.get("base_dev"), result.get("flakey_dev"), md.get("dev")]
    names += md.get("members") if isinstance(md.get("members"), list) else []
    return list(dict.fromkeys(v for v in names if isinstance(v, str) and v))


def md_of(result):
    """observed.md: the md array's facts from the guest (harness/lib/md.sh),
    None without an array."""
    md = result.get("md")
    return dict(md) if isinstance(md, dict) else None


def md_mismatch(md):
    """The md:mismatch channel, observed by the harness (md's own check
    after the run), not by wac: mismatch_cnt > 0."""
    n = (md or {}).get("mismatch_cnt")
    return isinstance(n, int) and not isinstance(n, bool) and n > 0


def wac_docs(d, result):
    """[(file name, bytes, document or None)] of DIR/wac-N.json, by N."""
    names = sorted((int(m.group(1)), n) for n in os.listdir(d)
                   for m in [WAC_FILE.match(n)] if m)
    out = []
    for _, name in names:
        with open(os.path.join(d, name), "rb") as fh:
            data = fh.read()
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            doc = None
        out.append((name, data, doc if isinstance(doc, dict) else None))
    return out


# ------------------------------------------------------------- the judge --

def _n(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0


def wac_entry(name, data, doc, result):
    """The harness.json reference to one wac document."""
    ran = {w.get("json"): w for w in result.get("wac") or [] if isinstance(w, dict)}
    if doc is None:
        chans, verdict, code = [], "error", None
    else:
        chans = doc.get("channels")
        if not isinstance(chans, list):
            chans = J.legacy_channels(doc)
        verdict = doc.get("verdict") or "error"
        code = doc.get("exit_status")
    if name in ran and ran[name].get("exit") is not None:
        code = ran[name]["exit"]
    return {"file": name, "sha256": hashlib.sha256(data).hexdigest(),
            "mode": ((doc or {}).get("config") or {}).get("mode"),
            "verdict": verdict, "exit": code, "channels": sorted(set(chans))}


def counts(docs, refs, kmsg):
    """What main-job and the tables print, counted once, here."""
    c = {"syscall": 0, "contract": 0, "kmsg": 0, "verify": 0, "hangs": 0}
    hangs = 0
    for (_, _, doc), ref in zip(docs, refs):
        if doc is None:
            continue
        ig = doc.get("integrity") or {}
        c["syscall"] += _n((ig.get("syscall_errors") or {}).get("total"))
        c["contract"] += _n((ig.get("contract") or {}).get("total"))
        ver = ig.get("verify") or {}
        c["verify"] += sum(_n(ver.get(ch.split(":", 1)[1])) for ch in ref["channels"]
                           if ch.startswith("verify:"))
        hangs += len(doc.get("hangs") or [])
    log_hangs = 0
    for cl in (kmsg.get("classes") or {}).values():
        if cl.get("channel") == "kmsg":
            c["kmsg"] += _n(cl.get("count"))
        elif cl.get("channel") == "hang":
            log_hangs += _n(cl.get("count"))
    # wac's hang reports and the kernel's hung-task lines tell of the
    # same stuck tasks: the larger of the two
    c["hangs"] = max(hangs, log_hangs)
    return c


def ops_per_s(docs):
    for _, _, doc in docs:
        if doc and (doc.get("config") or {}).get("mode", "run") == "run":
            v = ((doc.get("metrics") or {}).get("total") or {}).get("ops_per_s")
            return v if isinstance(v, (int, float)) else None
    return None


def memory_of(result):
    """observed.memory: the memory cgroup's reclaim counters (deltas over
    each wac run, summed in counters), or None without a cgroup."""
    mem = result.get("memory")
    if not isinstance(mem, dict):
        return None
    mem = dict(mem)
    total = {}
    for run in mem.get("runs") or []:
        for k, v in ((run or {}).get("counters") or {}).items():
            if isinstance(v, (int, float)):
                total[k] = max(total.get(k, 0), v) if k == "peak_bytes" \
                    else total.get(k, 0) + v
    mem["counters"] = total
    return mem


def direct_path(docs):
    """The path the run documents' O_DIRECT writes took (their
    direct.path; "mixed" when runs disagree), None without such writes."""
    paths = {(doc.get("direct") or {}).get("path") for _, _, doc in docs
             if doc and (doc.get("config") or {}).get("mode", "run") == "run"
             and isinstance(doc.get("direct"), dict)}
    paths.discard(None)
    if not paths:
        return None
    return paths.pop() if len(paths) == 1 else "mixed"


def build(d, wac, expect=None, expect_direct=None):
    """(harness.json document, OUTCOME, OBSERVED_SUMMARY, REASON); expect
    and expect_direct default to context.json's."""
    if not os.path.isdir(d):
        raise Unusable("%s: not a directory" % d)
    ctx = context_of(d)
    res = result_of(d)
    if expect is None:
        expect = ctx.get("expect") or ""
    docs = wac_docs(d, res)
    refs = [wac_entry(n, data, doc, res) for n, data, doc in docs]
    log = guest_log(d)
    kmsg = classify_log(wac, log, scenario_devices(res))
    status = ctx.get("vm_status") or "poweroff"
    wac_ch = sorted({c for r in refs for c in r["channels"]})
    kmsg_ch = sorted(set(kmsg.get("channels") or []))
    chans = set(wac_ch) | set(kmsg_ch)
    if status == "timeout":
        chans.add("hang")
    md = md_of(res)
    if md_mismatch(md):
        chans.add("md:mismatch")
    chans = sorted(chans)
    direct = direct_path(docs)
    expect_direct = expect_direct or ctx.get("expect_direct") or "any"
    outcome, reason, verdict = J.judge(expect, status, res, [r["verdict"] for r in refs],
                                       chans, ctx.get("steps") or "", expect_direct, direct)
    exp_outcome, exp_channels = J.parse_expect(expect)
    device = dict(ctx.get("device") or {})
    for rk, hk in DEVICE_FACTS:
        device[hk] = res.get(rk)
    if device.get("kind") == "tmpfs":
        device.update({k: None for k in NO_DISK})
    doc = {"schema": SCHEMA}
    for k in ("run_id", "scenario", "scenario_file", "description", "kernel",
              "backend", "accel"):
        doc[k] = ctx.get(k)
    doc.update({
        "device": device, "fs": ctx.get("fs"), "stable_writes": ctx.get("stable_writes"),
        "steps": ctx.get("steps"), "wac_args": ctx.get("wac_args"),
        "expected": {"outcome": exp_outcome, "channels": exp_channels,
                     "direct_path": expect_direct},
        "observed": {
            "verdict": verdict, "channels": chans, "wac_channels": wac_ch,
            "kmsg_channels": kmsg_ch,
            "kmsg": {k: v.get("count") for k, v in sorted((kmsg.get("classes") or {}).items())},
            "kmsg_set_aside": kmsg.get("set_aside"),
            "vm_status": status, "boot_retries": ctx.get("boot_retries") or 0,
            "counts": counts(docs, refs, kmsg), "ops_per_s": ops_per_s(docs),
            "tasks": tasks.analyse(log),
            # files the 9p share did not deliver, taken from the results channel
            "recovered": ctx.get("recovered") or [],
            "direct_path": direct,
            "memory": memory_of(res),
            "md": md,
            # fs = ocfs2 (harness/lib/ocfs2.sh): mode, node, cluster as configfs showed it
            "ocfs2": res.get("ocfs2") if isinstance(res.get("ocfs2"), dict) else None,
            # step folio_orders (harness/guest/scenario.sh): the target's folios by order
            "folio_orders": res.get("folio_orders") if isinstance(res.get("folio_orders"), dict) else None},
        "outcome": outcome, "reason": reason, "wac": refs,
    })
    for k in ("started", "wall_s", "boot_s", "boot_image", "initrd", "host", "suite_commit", "repeat", "flaky",
              "batch"):
        doc[k] = ctx.get(k)
    return doc, outcome, J.summary(verdict, chans), reason


def write_atomic(path, doc):
    """Write to a temporary file beside path, fsync, rename."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".harness.", suffix=".tmp", dir=d)
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(fd, 0o666 & ~mask)  # as a plain open() would make it
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write(d, wac, expect=None, rejudged=False, expect_direct=None):
    doc, outcome, summ, reason = build(d, wac, expect, expect_direct)
    if rejudged:
        doc["rejudged"] = True
    write_atomic(os.path.join(d, "harness.json"), doc)
    return outcome, summ, reason
