#!/usr/bin/env python3
"""Scenario files: parse, validate, expand matrices (scenarios/README.md).

    scenario.py expand --outdir DIR [--wac WAC] FILE...   one DIR/N.env per cell
    scenario.py check [--wac WAC] FILE...                 one line per cell
    scenario.py env [--cell NAME] [--wac WAC] FILE         one cell's SCN_* lines

A malformed file is refused before anything runs: "FILE:LINE: message" on
stderr, exit 2.  The .env files hold SCN_* shell assignments for the host
(harness/run) and the guest (harness/guest/scenario.sh).
"""

import importlib.util
import itertools
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS_FILE = os.path.join(HERE, "steps.tsv")

# Used only when wac is not built yet (harness/run --check on a fresh
# checkout): the channels of the first kernel-log table, and md:mismatch.
FALLBACK_CHANNELS = ("syscall contract kmsg hang verify:torn verify:lost "
                     "verify:misdirected verify:foreign verify:future "
                     "verify:unreadable verify:exposed md:mismatch").split()



def _judge_module():
    """results/wacresults/outcome.py, the judge, loaded by path (not the
    whole results package): what a scenario may expect is its fact."""
    path = os.path.join(HERE, "..", "..", "results", "wacresults", "outcome.py")
    spec = importlib.util.spec_from_file_location("wac_judge_outcome", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


DIRECT_PATHS = _judge_module().DIRECT_PATHS

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
PARAM_RE = re.compile(r"^[a-z_][a-z0-9_]*=[^\s/]*$")
RANGE_RE = re.compile(r"^(<|<=|>|>=|=)?[0-9]+(\.[0-9]+){0,2}$")
TEMPLATE_RE = re.compile(r"\{([a-z][a-z0-9_]*)(?::([^}]*))?\}")
# Requirements a scenario may name, besides kernel>=X, cmd:NAME, fs:NAME,
# wac-option:--NAME (the generator has that option: scenarios written
# ahead of a wac feature skip until it lands).
MODULE_REQUIREMENTS = ("scsi_debug", "dm_flakey", "loop", "md", "pmem",
                       "ocfs2", "zram", "memcg")


class ScenarioError(Exception):
    def __init__(self, path, line, msg):
        super().__init__(f"{path}:{line}: {msg}")


def _int_in(lo, hi):
    def check(v):
        if not re.fullmatch(r"[0-9]{1,9}", v) or not lo <= int(v) <= hi:
            return f"must be a number {lo}..{hi}"
        return None
    return check


def _one_of(*choices):
    def check(v):
        return None if v in choices else "must be " + ", ".join(choices)
    return check


def _check_file(v):
    # The target is created on the scenario's own filesystem, never a path.
    return None if NAME_RE.match(v) else "must be a plain file name (no /)"


def _check_params(v):
    bad = [w for w in v.split() if not PARAM_RE.match(w)]
    return f"\"{bad[0]}\" is not PARAM=VALUE" if bad else None


def _limit(v):
    return None if v == "max" or re.fullmatch(r"[1-9][0-9]{0,6}", v) else \
        "must be a size in MiB or max"


def _free(v):
    return None


# key: (default, validator); the format's one table.
KEYS = {
    "description": (None, _free),
    "name": (None, _free),
    "device": ("scsi_debug", _one_of("scsi_debug", "loop", "tmpfs", "pmem")),
    "dif": ("1", _int_in(0, 3)),
    "dix": ("1", _int_in(0, 1)),
    "guard": ("0", _int_in(0, 1)),
    "sector_size": ("512", _one_of("512", "4096")),
    "dev_size_mb": ("256", _int_in(1, 65536)),
    "scsi_debug_args": ("", _check_params),
    "flakey": ("", _free),
    "fs": ("ext4", _one_of("ext4", "xfs", "btrfs", "raw", "tmpfs", "overlay",
                                 "ocfs2")),
    "mkfs_options": ("", _free),
    # before mkfs, every sector of the device a record of another wac run
    # (wac --prefill-only): blocks handed out unzeroed show as foreign or
    # exposed (profile G)
    "prefill_device": ("none", _one_of("none", "foreign")),
    "mount_options": ("", _free),
    "stable_writes": ("", _one_of("0", "1")),
    "wac": ("-p A -T 10s -s 64k", _free),
    "file": ("wac.dat", _check_file),
    "timeout": ("300", _int_in(1, 86400)),
    # intermittent on purpose: the reason (harness/run --repeat tolerates
    # its unexpected outcomes when the cell was also as expected)
    "flaky": ("", _free),
    # the path wac's O_DIRECT writes must have taken (its direct.path)
    "expect_direct": ("any", _one_of(*DIRECT_PATHS)),
    "requires": ("", _free),
    "memcg_mb": ("", _limit),
    "swap": ("none", _one_of("none", "zram")),
    "zram_mb": ("512", _int_in(1, 65536)),
    # an md array over md_members scsi_debug disks (harness/lib/md.sh)
    "md_level": ("", _one_of("1", "5", "10")),
    "md_members": ("3", _int_in(2, 8)),
    "md_bitmap": ("internal", _one_of("internal", "none", "file")),
    "md_skip_copy": ("", _one_of("0", "1")),
    # ocfs2 (issue #11, harness/lib/ocfs2.sh): a local volume, or a
    # cluster volume of a one-node o2cb cluster with its DLM and heartbeat
    "ocfs2_mode": ("local", _one_of("local", "o2cb")),
    # DAX (device = pmem): whether every wac run's target must report
    # DAX in effect (its target.dax, statx STATX_ATTR_DAX); a run that
    # does not fails the scenario's step (harness/guest/scenario.sh)
    "expect_dax": ("any", _one_of("any", "true", "false")),
}
REPEATABLE = ("step", "steps", "expect")


def load_steps(path=STEPS_FILE):
    """The step registry: name -> (arguments, disruptive reason or None)."""
    steps = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, args, why, _help = line.rstrip("\n").split("\t")
            steps[name] = (args, None if why == "-" else why)
    return steps


def known_channels(wac):
    """Every channel name `wac channels` reports (the fallback list only
    where the binary is not built yet)."""
    try:
        out = subprocess.run([wac, "channels"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return FALLBACK_CHANNELS
    names = out.stdout.split()
    return names if out.returncode == 0 and names else FALLBACK_CHANNELS


class Parser:
    def __init__(self, path, steps, channels):
        self.path, self.steps, self.channels = path, steps, channels
        self.values, self.lines = {}, {}
        self.matrix = {}
        self.step_list, self.rules, self.direct_rules = [], [], []
        self.expect = None

    def fail(self, line, msg):
        raise ScenarioError(self.path, line, msg)

    def parse(self, text):
        n = 0
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.rstrip("\r").strip()
            if not line or line.startswith("#"):
                continue
            self.parse_line(n, line)
        self.finish(n)

    def parse_line(self, n, line):
        m = re.match(r"^(expect(?:_direct)?\[[^\]]*\]|[^=\s]+)\s*=\s*(.*)$", line)
        if not m:
            self.fail(n, f"expected key = value, got \"{line}\"")
        key, val = m.group(1), m.group(2).strip()
        if key.startswith("matrix."):
            return self.add_matrix(n, key[7:], val)
        if key.startswith("expect["):
            return self.add_rule(n, key[7:-1], val)
        if key.startswith("expect_direct["):
            return self.add_rule(n, key[14:-1], val, direct=True)
        if key == "expect":
            if self.expect is not None:
                self.fail(n, f"expect given twice (first on line {self.expect[0]})")
            self.check_expect(n, val)
            self.expect = (n, val)
        elif key == "step":
            self.add_step(n, val)
        elif key == "steps":
            for part in val.split(";"):
                if part.strip():
                    self.add_step(n, part.strip())
        elif key in KEYS:
            if key in self.lines:
                self.fail(n, f"key \"{key}\" given twice (first on line {self.lines[key]})")
            self.lines[key], self.values[key] = n, val
        else:
            self.fail(n, f"unknown key \"{key}\"")

    def add_matrix(self, n, key, val):
        if key not in KEYS or key in ("description", "name"):
            self.fail(n, f"unknown matrix key \"{key}\"")
        if key in self.matrix:
            self.fail(n, f"matrix.{key} given twice")
        if not val.split():
            self.fail(n, f"matrix.{key} needs values")
        self.matrix[key] = (n, val.split())

    def add_rule(self, n, rng, val, direct=False):
        """expect[RANGE] or expect_direct[RANGE]: the value for the kernels
        in RANGE (the first rule that matches a kernel wins)."""
        for cond in rng.split(","):
            if not RANGE_RE.match(cond.strip()):
                self.fail(n, f"bad kernel range \"{cond.strip()}\" "
                          "(like <6.11, >=6.1, =6.12, or >=5.10,<6.11)")
        if direct:
            self.check_direct(n, val)
            self.direct_rules.append((n, f"{rng}|{val}"))
            return
        self.check_expect(n, val)
        self.rules.append((n, f"{rng}|{val}"))

    def check_direct(self, n, val):
        err = None if TEMPLATE_RE.search(val) else KEYS["expect_direct"][1](val)
        if err:
            self.fail(n, f"expect_direct {err}, not \"{val}\"")

    def add_step(self, n, text):
        name = text.split()[0]
        if name not in self.steps:
            self.fail(n, f"unknown step \"{name}\" (known: "
                      + ", ".join(f"{s} {a}" if a != "-" else s
                                  for s, (a, _) in self.steps.items()) + ")")
        if name == "scsi_debug":
            err = _check_params(text[len(name):])
            if err:
                self.fail(n, "scsi_debug step: " + err)
        self.step_list.append((n, text))

    def check_expect(self, n, val):
        """An expectation; one with placeholders is checked per cell."""
        if TEMPLATE_RE.search(val) or val in ("pass", "detect"):
            return
        if not val.startswith("detect:"):
            self.fail(n, "expected outcome must be pass, detect or "
                      f"detect:CHANNEL[,CHANNEL...], not \"{val}\"")
        for ch in val[7:].split(","):
            ch = ch.strip().lstrip("!")
            if ch != "verify" and ch not in self.channels:
                self.fail(n, f"unknown channel \"{ch}\" (known: verify "
                          + " ".join(self.channels) + ")")

    def finish(self, last):
        if "description" not in self.values:
            self.fail(last, "missing \"description\"")
        if self.expect is None and not self.rules:
            self.fail(last, "missing \"expect\" (pass, or detect:CHANNEL...)")
        for key, (n, _) in self.matrix.items():
            if key in self.values:
                self.fail(n, f"matrix.{key} and {key} both given")

    def cells(self):
        keys = list(self.matrix)
        combos = itertools.product(*(self.matrix[k][1] for k in keys))
        for combo in combos:
            yield self.cell(dict(zip(keys, combo)))

    def cell(self, point):
        vals = {k: d for k, (d, _) in KEYS.items() if d is not None}
        vals.update(self.values)
        vals.update(point)
        subst = {k: self.expand(v, vals) for k, v in vals.items()}
        for key, val in subst.items():
            err = KEYS[key][1](val) if val != "" or key == "file" else None
            if err:
                line = self.lines.get(key) or self.matrix.get(key, (0,))[0]
                self.fail(line, f"{key} {err}, not \"{val}\"")
        # expectations may depend on the cell too ({fs:btrfs=detect:fs_csum})
        if self.expect:
            subst["expect"] = self.expand(self.expect[1], vals)
            self.check_expect(self.expect[0], subst["expect"])
        else:
            subst["expect"] = ""
        rules = []
        for n, rule in self.rules:
            rules.append(self.expand(rule, vals))
            self.check_expect(n, rules[-1].split("|", 1)[1])
        subst["expect_rules"] = ";".join(rules)
        rules = []
        for n, rule in self.direct_rules:
            rules.append(self.expand(rule, vals))
            self.check_direct(n, rules[-1].split("|", 1)[1])
        subst["expect_direct_rules"] = ";".join(rules)
        base = os.path.basename(self.path)
        base = base[:-4] if base.endswith(".scn") else base
        if "name" in subst:
            name = subst["name"]
        else:
            name = base + "".join(f"-{k}{v}" for k, v in point.items())
        if not NAME_RE.match(name):
            self.fail(self.lines.get("name", 0), f"bad cell name \"{name}\"")
        steps = [self.expand(t, vals) for _, t in self.step_list] or ["run"]
        self.check_cell(subst, steps)
        subst.pop("name", None)
        return name, subst, steps

    def expand(self, text, vals):
        def one(m):
            key, labels = m.group(1), m.group(2)
            if key not in vals:
                raise ScenarioError(self.path, 0, f"unknown placeholder {{{key}}}")
            v = vals[key]
            if labels:
                table = dict(p.split("=", 1) for p in labels.split(",") if "=" in p)
                return table.get(v, v)
            return v
        return TEMPLATE_RE.sub(one, text)

    def check_cell(self, vals, steps):
        on_tmpfs = vals["device"] == "tmpfs"
        if on_tmpfs != (vals["fs"] == "tmpfs") and not vals["fs"] == "overlay":
            self.fail(self.lines.get("fs") or self.lines.get("device", 0),
                      "device = tmpfs goes with fs = tmpfs or overlay; fs = tmpfs "
                      "needs device = tmpfs (overlay may sit on tmpfs or on ext4 over a disk)")
        if vals["swap"] != "none" and not vals["memcg_mb"]:
            self.fail(self.lines["swap"], "swap needs memcg_mb (the cgroup the swap relieves)")
        if vals["prefill_device"] != "none" and on_tmpfs:
            self.fail(self.lines["prefill_device"],
                      "prefill_device needs a disk (device = tmpfs has none)")
        if vals["fs"] == "raw" and vals["mkfs_options"]:
            self.fail(self.lines["mkfs_options"], "mkfs_options with fs = raw")
        if any(s.split()[0] == "flakey" for s in steps) and not vals["flakey"]:
            self.fail(self.step_list[0][0],
                      "a flakey step needs a \"flakey\" device (flakey = allow)")
        if vals["md_level"] and vals["device"] != "scsi_debug":
            self.fail(self.lines.get("md_level", 0), "md_level needs device = scsi_debug")
        if vals["md_skip_copy"] and vals["md_level"] != "5":
            self.fail(self.lines.get("md_skip_copy", 0), "md_skip_copy needs md_level = 5")
        if "ocfs2_mode" in self.lines and vals["fs"] != "ocfs2":
            self.fail(self.lines["ocfs2_mode"], "ocfs2_mode needs fs = ocfs2")
        self.check_pmem(vals)
        for req in vals["requires"].split():
            if not (req in MODULE_REQUIREMENTS or re.match(r"^kernel>=[0-9]+(\.[0-9]+){0,2}$", req)
                    or re.match(r"^(cmd|fs):[A-Za-z0-9._+-]+$", req)
                    or re.match(r"^wac-option:--[a-z][a-z0-9-]*$", req)):
                self.fail(self.lines["requires"], f"unknown requirement \"{req}\" ("
                          + ", ".join(MODULE_REQUIREMENTS) + ", kernel>=X.Y, cmd:NAME, fs:NAME, wac-option:--NAME)")

    def check_pmem(self, vals):
        """device = pmem (persistent memory in the VM) and expect_dax."""
        line = self.lines.get("expect_dax") or self.lines.get("device", 0)
        if vals["expect_dax"] == "true" and vals["device"] != "pmem":
            self.fail(line, "expect_dax = true needs device = pmem (only pmem does DAX)")
        if vals["device"] != "pmem":
            return
        if vals["sector_size"] != "512":
            self.fail(self.lines.get("sector_size", line), "device = pmem has 512-byte sectors")
        if vals["flakey"] or vals["md_level"]:
            self.fail(line, "device = pmem takes no flakey or md_level (they would hide DAX)")

    def requires(self, vals, steps):
        req = [vals["device"]] if vals["device"] != "tmpfs" else []
        if vals["fs"] == "overlay" and vals["device"] != "tmpfs":
            req.append("fs:ext4")
        if vals["memcg_mb"]:
            req.append("memcg")
        if vals["swap"] == "zram":
            req.append("zram")
        if vals["flakey"]:
            req.append("dm_flakey")
        if vals["md_level"]:
            req += ["md", {"1": "raid1", "5": "raid456", "10": "raid10"}[vals["md_level"]]]
        if vals["fs"] != "raw":
            req.append("fs:" + vals["fs"])
        if vals["fs"] == "ocfs2" and vals["ocfs2_mode"] == "o2cb":
            req += ["ocfs2_stack_o2cb", "ocfs2_dlmfs"]
        req += vals["requires"].split()
        return " ".join(dict.fromkeys(req))

    def disruption(self, vals, steps, expect_all):
        for s in steps:
            why = self.steps[s.split()[0]][1]
            if why:
                return why
        if vals["swap"] == "zram":
            return "adds a zram swap device to the running kernel"
        if "--sysrq" in vals["wac"].split():
            return "fires sysrq on a hang"
        if "hang" in expect_all:
            return "expects a hang"
        return ""


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def env_text(parser, name, vals, steps):
    expect_all = " ".join([vals["expect"]] + vals["expect_rules"].split(";"))
    out = {
        "NAME": name,
        "SOURCE": parser.path,
        "STEPS": "\n".join(steps),
        "STEPS_TEXT": "; ".join(steps),
        "REQUIRES": parser.requires(vals, steps),
        "DISRUPTION": parser.disruption(vals, steps, expect_all),
    }
    for key, val in vals.items():
        if key != "requires":
            out.setdefault(key.upper(), val)
    return "".join(f"SCN_{k}={shq(v)}\n" for k, v in out.items())


def parse_file(path, steps, channels):
    try:
        with open(path, encoding="utf-8", errors="strict") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(path, 0, f"cannot read the scenario file ({e})")
    p = Parser(path, steps, channels)
    p.parse(text)
    return p, list(p.cells())


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="scenario.py")
    ap.add_argument("mode", choices=("expand", "check", "env"))
    ap.add_argument("--outdir")
    ap.add_argument("--cell")
    ap.add_argument("--wac", default=os.path.join(HERE, "..", "..", "wac", "wac"))
    ap.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    steps, channels = load_steps(), known_channels(a.wac)
    out, names = [], {}
    try:
        for path in a.files:
            parser, cells = parse_file(path, steps, channels)
            for name, vals, st in cells:
                if name in names:
                    raise ScenarioError(path, 0, f"cell name \"{name}\" also comes from {names[name]}")
                names[name] = path
                out.append((parser, name, vals, st))
    except ScenarioError as e:
        print(e, file=sys.stderr)
        return 2
    if a.mode == "env":
        picked = [c for c in out if a.cell in (None, c[1])]
        if len(picked) != 1:
            print(f"{a.files[0]}: {len(picked)} cells match "
                  f"{a.cell or '(no --cell)'}", file=sys.stderr)
            return 2
        sys.stdout.write(env_text(*picked[0]))
        return 0
    if a.mode == "check":
        print(f"{'SCENARIO':<30} {'DEVICE':<15} {'FS':<6} {'EXPECT':<32} STEPS")
        for parser, name, vals, st in out:
            expect = vals["expect"] or "(per kernel)"
            if parser.rules:
                expect += " +" + str(len(parser.rules)) + " range(s)"
            dev = vals["device"] + (f"/dif{vals['dif']}" if vals["device"] == "scsi_debug" else "")
            print(f"{name:<30} {dev:<15} {vals['fs']:<6} {expect:<32} {'; '.join(st)}")
        print(f"{len(out)} cell(s) from {len(a.files)} file(s)")
        return 0
    for i, (parser, name, vals, st) in enumerate(out, 1):
        with open(os.path.join(a.outdir, f"{i:04d}.env"), "w", encoding="utf-8") as f:
            f.write(env_text(parser, name, vals, st))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
