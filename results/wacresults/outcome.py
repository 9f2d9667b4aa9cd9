"""The harness's judge: a scenario run's observations against its
expectation.  The channels themselves come from wac (each document's
`channels`, and `wac kmsg-classify` over the guest log); nothing here
looks at kernel-log text.

Order (as harness/lib/outcome.sh had it): an infrastructure error (no
kernel, QEMU failed, the guest died), then a skip, then a run that could
not be judged (setup failed, a step failed, no wac result although the
scenario ran wac, wac exit 2), then the expectation.
"""

import re

VM_ERRORS = {
    "noboot": "the kernel did not reach init (see serial.log)",
    "qemu-error": "QEMU failed (see qemu.log)",
    "crash": "the guest kernel died before the scenario finished (see serial.log)",
}

# wac's verdicts, strongest first: one hang makes the scenario a hang.
VERDICT_RANK = {"hang": 3, "fail": 2, "error": 1, "pass": 0}


def parse_expect(expect):
    """'pass' | 'detect' | 'detect:A,B,!C' -> (outcome, [channels])."""
    expect = (expect or "").strip()
    outcome, _, chans = expect.partition(":")
    return outcome, [c for c in chans.split(",") if c] if chans else []


def combine_verdicts(verdicts):
    v = "pass"
    for x in verdicts:
        x = x if x in VERDICT_RANK else "error"
        if VERDICT_RANK[x] > VERDICT_RANK[v]:
            v = x
    return v


def legacy_channels(doc):
    """Channels of a wac/1 document written before wac reported its own
    `channels` (stored runs only; every current document carries them).
    Counters only: the kmsg and hung-task lines of such a run are in the
    guest log, which kmsg-classify reads."""
    ig = doc.get("integrity") or {}

    def n(v):
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0
    out = set()
    if n((ig.get("syscall_errors") or {}).get("total")) > 0 or \
            (ig.get("final_sync") or {}).get("ok") is False:
        out.add("syscall")
    if n((ig.get("contract") or {}).get("total")) > 0:
        out.add("contract")
    if doc.get("verdict") == "hang" or doc.get("hangs"):
        out.add("hang")
    ver = ig.get("verify") or {}
    if ver.get("done") is False and ver.get("error") is not None:
        out.add("verify:unreadable")
    for k in ("torn", "lost", "misdirected", "foreign", "future"):
        if n(ver.get(k)) > 0:
            out.add("verify:" + k)
    return sorted(out)


def ran_wac(steps):
    """Whether a scenario's steps invoke wac (a run or verify step)."""
    return re.search(r"(^|[;\n])\s*(run|verify)\b", steps or "") is not None


def unjudgeable(vm_status, result, n_docs, steps):
    """(outcome, reason) when the run cannot be judged, else None."""
    if vm_status in VM_ERRORS:
        return "error", VM_ERRORS[vm_status]
    if result.get("skip"):
        return "skip", str(result["skip"])
    if vm_status == "timeout":
        return None  # judged: the hang channel fired
    if result.get("setup") != "ok":
        return "error", "device or filesystem setup failed (see steps.log)"
    if result.get("failed_step"):
        return "error", "step failed: %s (see steps.log)" % result["failed_step"]
    if n_docs == 0 and ran_wac(steps):
        return "error", "no wac result (see steps.log, serial.log)"
    for w in result.get("wac") or []:
        if isinstance(w, dict) and w.get("exit") == 2:
            return "error", "wac[%s] exited 2: usage/setup error (see wac-%s.out)" % (
                w.get("n"), w.get("n"))
    return None


def against(expect, channels, verdict):
    """(outcome, reason) of observed channels and verdict vs expect."""
    want_outcome, want = parse_expect(expect)
    seen = set(channels)
    shown = ",".join(sorted(seen)) or "none"
    if not want_outcome:
        return "error", "no expect line applies to this kernel"
    if want_outcome == "pass" and not want:
        if not seen and verdict == "pass":
            return "ok", ""
        return "unexpected", "expected pass, detected on %s" % (
            ",".join(sorted(seen)) or "verdict " + verdict)
    if want_outcome != "detect":
        return "error", "unknown expectation %r" % expect
    if not want:
        if seen:
            return "ok", ""
        return "unexpected", "expected a detection, every channel was quiet"
    missing = []
    for ch in want:
        if ch.startswith("!"):
            # !CHANNEL: this channel must stay quiet.
            if ch[1:] in seen:
                missing.append(ch)
        elif ch not in seen and not (ch == "verify" and any(
                s.startswith("verify:") for s in seen)):
            missing.append(ch)
    if missing:
        return "unexpected", "channel %s disagreed (observed: %s)" % (" ".join(missing), shown)
    return "ok", ""


# what a scenario's expect_direct may say: wac's direct.path values, or any
DIRECT_PATHS = ("any", "direct", "buffered", "mixed", "unknown")


def direct_against(expect_direct, observed):
    """(outcome, reason) of the O_DIRECT path the writes took vs the
    scenario's expect_direct; None when it holds or is not asked."""
    if expect_direct in (None, "", "any") or observed == expect_direct:
        return None
    if observed is None:
        return "error", "expect_direct = %s, but no run had O_DIRECT writers" % expect_direct
    return "unexpected", "O_DIRECT writes took the %s path (expected %s)" % (observed, expect_direct)


def judge(expect, vm_status, result, docs_verdicts, channels, steps,
          expect_direct="any", direct=None):
    """The scenario's (outcome, reason, verdict): the channels against
    expect, then the O_DIRECT path against expect_direct."""
    verdict = combine_verdicts(docs_verdicts)
    if vm_status == "interrupted":
        # harness/run got SIGINT/SIGTERM while this scenario ran: what was
        # seen so far is kept, but nothing is judged against the expectation
        return "interrupted", "harness/run was interrupted (SIGINT/SIGTERM) before the scenario finished", \
            "error" if verdict == "pass" else verdict
    if vm_status == "timeout":
        verdict = "hang"
    early = unjudgeable(vm_status, result, len(docs_verdicts), steps)
    if early is not None:
        outcome, reason = early
        if outcome == "skip":
            return outcome, reason, "skip"
        return outcome, reason, "error" if verdict == "pass" else verdict
    outcome, reason = against(expect, channels, verdict)
    if outcome == "ok" and vm_status != "timeout":
        outcome, reason = direct_against(expect_direct, direct) or (outcome, reason)
    return outcome, reason, verdict


def summary(verdict, channels):
    """OBSERVED_SUMMARY: 'fail:kmsg,syscall', 'pass', 'skip'."""
    if verdict == "skip":
        return "skip"
    return verdict + (":" + ",".join(channels) if channels else "")
