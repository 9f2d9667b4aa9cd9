"""How wac-plot names a run in legends, ticks and groups: the kernel, a
label of the fields that tell runs apart, sizes, and which fields vary."""


def kernel_name(r):
    return r.get("kernel_alias") or r.get("kernel_release") or "?"


def label_for(run, fields, names=None):
    names = names or {}
    parts = []
    for f in fields:
        v = kernel_name(run) if f == "kernel" else run.get(f)
        if f == "integrity_format":
            # T10-DIF-TYPE1-CRC -> PI DIF1-CRC; the loop devices have none
            parts.append("PI " + v.replace("T10-DIF-TYPE", "DIF") if v else "no PI")
            continue
        if v is None:
            continue
        # a sync mode of a thread kind the run does not have says nothing
        if (f == "write_sync" and run.get("writers") == 0) or \
                (f == "msync" and run.get("mmappers") == 0):
            continue
        if f == "kernel":
            parts.append(str(v))
        elif f == "profile" and v:
            if run.get("tool") != "fio" or not run.get("scenario"):
                parts.append(str(v))
        elif f == "stable_writes":
            parts.append("stable=%s" % ("on" if v == 1 else "off" if v == 0 else v))
        elif f == "tool":
            if v != "wac":
                parts.append(str(v))
        elif f == "scenario":
            parts.append(str(v))
        elif f == "size":
            parts.append(human_size(v))
        elif f == "block":
            parts.append("block=%s" % human_size(v).replace(" ", ""))
        elif f == "write_sync":
            parts.append(str(v))  # sfr-wait, fsync...: names enough
        else:
            parts.append("%s=%s" % (names.get(f, f), v))
    return " ".join(p for p in parts if p)


def human_size(v):
    if v is None:
        return "?"
    for unit, n in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= n and v % n == 0:
            return "%d %s" % (v // n, unit)
    return "%d B" % v


def varying(runs, fields):
    """The fields whose value differs between runs.  Thread counts and
    direct mode are left out when the profile alone explains them."""
    def val(r, f):
        return kernel_name(r) if f == "kernel" else r.get(f)
    out = [f for f in fields if len({val(r, f) for r in runs}) > 1]
    if "profile" in out:
        for f in ("writers", "mmappers", "direct"):
            if f in out:
                per = {}
                for r in runs:
                    per.setdefault(r.get("profile"), set()).add(r.get(f))
                if all(len(v) == 1 for v in per.values()):
                    out.remove(f)
    return out
