"""fio's JSON output (bare, or in run-fio's wac-fio/1 envelope) as run
columns and metrics named as wac's."""

from .flatten import _epoch_iso, _fmt_duration, _int_or_none, _num
from .store import BadDocument, content_hash


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


def fio_run_id(doc, ctx):
    if ctx.get("run_id"):
        return str(ctx["run_id"])
    return "fio-%s-%s" % (doc.get("timestamp_ms") or doc.get("timestamp"),
                          content_hash(doc)[:8])


