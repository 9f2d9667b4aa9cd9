#!/usr/bin/env python3
"""LAVA v2 job definitions for wac scenarios (harness/lava writes the
artifacts and calls this once per scenario cell), a device dictionary for
a local `lava-run`, and the schema check of Debian's lava-common.

  lava.py job --env CELL.env --expect EXPECT [--expect-direct PATH]
              --kernel-url URL --initrd-url URL
              --alias A --release R --package P --append ARGS --memory MB
              --extra-option OPT... --boot-timeout S [--commit C] --out FILE
  lava.py device --memory MB --extra-option OPT... --out FILE
  lava.py validate JOB.yaml...      exit 1 naming the first error per job

The job: device_type qemu; deploy to tmpfs of the Debian kernel and the
suite's initramfs with the scenario baked in; boot method qemu (media
tmpfs) waiting for the guest init's "wac-guest: booted"; a `monitors`
test that turns the guest's LAVA_SIGNAL_TESTCASE lines (harness/guest/
lava.sh) into test cases.  Written as YAML by a small emitter (standard
library only); the validator needs lava_common (Debian: lava-common).
"""

import argparse
import json
import os
import re
import shlex
import sys

SIGNAL_PATTERN = (r"<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=(?P<test_case_id>\S+)"
                  r" RESULT=(?P<result>pass|fail|skip|unknown)"
                  r"(?: MEASUREMENT=(?P<measurement>[-+0-9.eE]+) UNITS=(?P<units>[^>\s]+))?>")
BOOTED = "wac-guest: booted"
START = "wac-lava: start"
END = "wac-lava: end"
DEPLOY_S = 300


# ------------------------------------------------------------------ YAML --

PLAIN = re.compile(r"^[A-Za-z_/][-A-Za-z0-9_./@]*$")
RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def _scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if PLAIN.match(s) and s.lower() not in RESERVED:
        return s
    return json.dumps(s)  # a JSON string is a YAML double-quoted scalar


def to_yaml(v, indent=0):
    """dicts, lists and scalars as block YAML."""
    pad = " " * indent
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append("%s%s:" % (pad, _scalar(k)))
                out.append(to_yaml(x, indent + 2))
            else:
                out.append("%s%s: %s" % (pad, _scalar(k), _scalar(x) if x != {} and x != [] else
                                         ("{}" if x == {} else "[]")))
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, (dict, list)) and x:
                body = to_yaml(x, indent + 2)
                out.append("%s- %s" % (pad, body.lstrip()))
            else:
                out.append("%s- %s" % (pad, _scalar(x)))
    else:
        out.append(pad + _scalar(v))
    return "\n".join(out)


def read_env(path):
    """The SCN_* assignments scenario.py wrote for one cell."""
    env = {}
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    lex = shlex.shlex(text, posix=True)
    lex.whitespace_split = True
    lex.whitespace = "\n"
    for tok in lex:
        k, _, v = tok.partition("=")
        env[k] = v
    return env


def minutes(seconds):
    return {"minutes": max(1, -(-int(seconds) // 60))}


# ------------------------------------------------------------------- job --

def context(memory, extra):
    """The qemu device type's job context: what harness/lib/vm.sh gives
    QEMU (memory, CPUs, TCG's -cpu max, -no-reboot for panic=-1)."""
    return {"arch": "amd64", "no_kvm": True, "memory": int(memory),
            "extra_options": list(extra)}


def job(a):
    env = read_env(a.env)
    name = env["SCN_NAME"]
    scn_s = int(env.get("SCN_TIMEOUT") or 240)
    boot_s = int(a.boot_timeout)
    test_s = scn_s + 60
    metadata = {
        "wac.scenario": name, "wac.scenario_file": env.get("SCN_SOURCE", ""),
        "wac.description": env.get("SCN_DESCRIPTION", ""),
        "wac.kernel_alias": a.alias, "wac.kernel_release": a.release,
        "wac.kernel_package": a.package, "wac.expect": a.expect,
        "wac.expect_direct": a.expect_direct or env.get("SCN_EXPECT_DIRECT", "any"),
        "wac.fs": env.get("SCN_FS", ""), "wac.stable_writes": env.get("SCN_STABLE_WRITES", ""),
        "wac.device": env.get("SCN_DEVICE", ""), "wac.dif": env.get("SCN_DIF", ""),
        "wac.dix": env.get("SCN_DIX", ""), "wac.guard": env.get("SCN_GUARD", ""),
        "wac.sector_size": env.get("SCN_SECTOR_SIZE", ""),
        "wac.steps": env.get("SCN_STEPS_TEXT", ""), "wac.wac_args": env.get("SCN_WAC", ""),
        "wac.suite_commit": a.commit or "unknown",
    }
    images = {
        "kernel": {"image_arg": "-kernel {kernel} -append \"%s\"" % a.append,
                   "url": a.kernel_url},
        "initrd": {"image_arg": "-initrd {initrd}", "url": a.initrd_url},
    }
    if a.initrd_url.endswith(".gz"):
        images["initrd"]["compression"] = "gz"
    doc = {
        "device_type": "qemu",
        "job_name": "wac %s on %s" % (name, a.alias),
        "priority": "medium",
        "visibility": "public",
        "timeouts": {
            "job": minutes(DEPLOY_S + 2 * boot_s + test_s + 60),
            "action": minutes(max(boot_s, test_s)),
            "connection": {"minutes": 2},
        },
        "metadata": metadata,
        "context": context(a.memory, a.extra_option),
        "actions": [
            {"deploy": {"to": "tmpfs", "timeout": minutes(DEPLOY_S), "images": images}},
            # a boot that does not reach init is tried once more, as
            # harness/run does (an early-boot flake under TCG)
            {"boot": {"method": "qemu", "media": "tmpfs", "timeout": minutes(boot_s),
                      "failure_retry": 2, "prompts": [BOOTED]}},
            {"test": {"timeout": minutes(test_s), "monitors": [{
                "name": re.sub(r"[^-_a-zA-Z0-9.]", "_", "wac-" + name),
                "start": START, "end": END, "pattern": SIGNAL_PATTERN}]}},
        ],
    }
    text = "# wac suite: scenario %s on kernel %s (harness/lava)\n" % (name, a.release)
    with open(a.out + ".tmp", "w", encoding="utf-8") as fh:
        fh.write(text + to_yaml(doc) + "\n")
    os.replace(a.out + ".tmp", a.out)


# ------------------------------------------------ device (local lava-run) --

def device(a):
    """qemu.jinja2 (lava-server) as rendered for this job context, cut to
    what a qemu tmpfs boot and a monitors test read: lava-run takes a
    rendered dictionary, and lava-server need not be installed."""
    ctx = context(a.memory, a.extra_option)
    qemu = {"parameters": {
        "command": "qemu-system-x86_64",
        "boot_options": {"root": "/dev/sda1", "console": "ttyS0,115200", "boot_order": "c"},
        "options": ["-nographic",
                    "-net nic,model=virtio,macaddr=52:54:00:12:34:58 -net user",
                    "-m %d" % ctx["memory"], "-monitor none"],
        "extra": ctx["extra_options"]}}
    doc = {
        "constants": {
            "posix": {"lava_test_sh_cmd": "/bin/sh", "lava_test_results_dir": "/lava-%s",
                      "lava_test_shell_file": "~/.bashrc"},
            "shutdown-message": "The system is going down for reboot NOW",
            "kernel-start-message": "Linux version [0-9]",
            "default-shell-prompt": "lava-test: # ",
            "spawn_maxread": "4092", "failure_retry": 1, "boot_retry": None},
        "parameters": {"pass": None},
        "available_architectures": ["amd64", "x86_64"],
        "actions": {
            "deploy": {"connections": {"serial": None}, "methods": {"image": {
                "parameters": {"guest": {"size": 512, "interface": "ide",
                                         "driveid": "lavatest"}}}}},
            "boot": {"connections": {"serial": None}, "methods": {"minimal": None,
                                                                  "qemu": qemu}},
        },
        # no auto-login-action timeout here (qemu.jinja2 has 2 minutes):
        # the job's boot timeout, the harness's boot allowance, governs
        "timeouts": {"actions": {"http-download": {"minutes": 5},
                                 "download-retry": {"minutes": 5},
                                 "boot-qemu-image": {"minutes": 2},
                                 "power-off": {"seconds": 10}}},
    }
    with open(a.out, "w", encoding="utf-8") as fh:
        fh.write("# qemu device for a local lava-run (harness/lava --device)\n")
        fh.write(to_yaml(doc) + "\n")


# -------------------------------------------------------------- validate --

def validate(a):
    """lava_common.schemas.validate on each job, strict as the server
    (extra_context_variables empty)."""
    try:
        from lava_common.schemas import validate as lava_validate
        import yaml
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            from lava_common.schemas import validate as lava_validate
            import yaml
        except ImportError as e:
            print("lava.py: lava-common is not installed (%s)" % e, file=sys.stderr)
            return 3
    bad = 0
    for path in a.jobs:
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
            lava_validate(data, strict=True, extra_context_variables=[])
        except Exception as e:  # voluptuous Invalid, YAML errors, KeyError
            print("%s: invalid: %s" % (path, e))
            bad += 1
        else:
            print("%s: valid" % path)
    return 1 if bad else 0


def main(argv):
    ap = argparse.ArgumentParser(prog="lava.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("job")
    for k in ("env", "expect", "kernel-url", "initrd-url", "alias", "release",
              "append", "memory", "boot-timeout", "out"):
        j.add_argument("--" + k, required=True)
    j.add_argument("--package", default="")
    j.add_argument("--expect-direct", default="")
    j.add_argument("--commit", default="")
    j.add_argument("--extra-option", action="append", default=[])
    d = sub.add_parser("device")
    d.add_argument("--memory", required=True)
    d.add_argument("--extra-option", action="append", default=[])
    d.add_argument("--out", required=True)
    v = sub.add_parser("validate")
    v.add_argument("jobs", nargs="+")
    a = ap.parse_args(argv)
    if a.cmd == "job":
        job(a)
    elif a.cmd == "device":
        device(a)
    else:
        return validate(a)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
