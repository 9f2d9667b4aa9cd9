"""The kernel's task dumps in a guest log (sysrq t: every task; sysrq l:
every CPU), read for a hang: which tasks are blocked and where, and
which tasks that are not blocked are inside the same code, where a lock
holder that runs or sleeps interruptibly shows up (a blocked-tasks dump,
sysrq w or the hung-task detector, never lists it).

Formats (kernel/sched/core.c sched_show_task, lib/nmi_backtrace.c):
  task:wac             state:D stack:0     pid:179   ppid:104    flags:0x00000006
  Call Trace:
   <TASK>
   __schedule+0x34d/0xa00
   ? __percpu_rwsem_trylock.part.0+0x60/0x60      ("?": unreliable, skipped)
   ext4_page_mkwrite+0x59d/0x6b0 [ext4]
   </TASK>
  NMI backtrace for cpu 1
  CPU: 1 PID: 104 Comm: bash Not tainted 6.1.0-56-amd64 #1 ...
"""

import re

TS = rb"^(?:\[\s*[\d.]+\]\s*)?"
SHOW_STATE = re.compile(TS + rb"sysrq: Show State", re.M)
TASK = re.compile(TS + rb"task:(?P<comm>.{1,16}?)\s+state:(?P<state>\S+)"
                  rb".*?\bpid:\s*(?P<pid>\d+)")
CPU = re.compile(TS + rb"CPU: (?P<cpu>\d+) PID: (?P<pid>\d+) Comm: (?P<comm>\S+)")
FRAME = re.compile(TS + rb"\s*(?P<unreliable>\? )?(?P<fn>[A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+"
                   rb"(?: \[(?P<mod>[\w]+)\])?")

# Frames of going to sleep and of being woken: they say nothing of where.
SLEEP = re.compile(r"^(__schedule|schedule\w*|io_schedule\w*|preempt_schedule\w*|"
                   r"__switch_to\w*|switch_to\w*|context_switch|finish_task_switch\S*|"
                   r"do_nanosleep|hrtimer_nanosleep|__x64_sys_\w+|do_syscall_64|"
                   r"entry_SYSCALL\w*|ret_from_fork\w*|kthread|"
                   r"default_idle\w*|do_idle|cpu_startup_entry|"
                   r"native_safe_halt|arch_cpu_idle|start_secondary|secondary_startup\w*)$")
# Waiting for a lock, a bit or an event: where a blocked task waits.
WAIT = re.compile(r"(rwsem|mutex|_lock\b|_lock_|down_read|down_write|wait_on|_wait\b|"
                  r"wait_\w+|sleep_on|folio_wait|__lock_page|percpu_rwsem_wait|"
                  r"__percpu_down_read|lock_sock|rt_mutex)")
# Main loops of threads that wait for work: asleep at the top of one of
# these, a task is idle, not a suspect.
IDLE_ONLY = re.compile(r"^(worker_thread|rescuer_thread|smpboot_thread_fn|kthreadd|"
                       r"kjournald2|kswapd|kcompactd|khugepaged|ksm_scan_thread|"
                       r"watchdog|oom_reaper|devtmpfsd|kauditd_thread|"
                       r"scsi_error_handler|do_select|do_sys_poll|do_wait|"
                       r"kernel_wait4|pipe_read|n_tty_read|wait_woken)$")


MAX_PIDS = 8


def _tasks(log):
    """[(comm, pid, state, [frames])] of the task dumps and CPU
    backtraces in log (bytes), in order."""
    out, cur = [], None
    for line in log.splitlines():
        m = TASK.match(line) or CPU.match(line)
        if m:
            state = m.groupdict().get("state")
            cur = [m["comm"].decode(errors="replace").strip(), int(m["pid"]),
                   state.decode() if state else "cpu", []]
            out.append(cur)
            continue
        if cur is None:
            continue
        f = FRAME.match(line)
        if f and not f["unreliable"]:
            fn = f["fn"].decode()
            cur[3].append(fn + (" [%s]" % f["mod"].decode() if f["mod"] else ""))
    return out


def _where(frames):
    """(waits_in, via): the first wait frame past the scheduler, and the
    first frame past the wait primitives (the code that asked)."""
    rest = [f for f in frames if not SLEEP.match(f.split(" ")[0])]
    wait = next((f for f in rest if WAIT.search(f)), rest[0] if rest else None)
    via = next((f for f in rest if not WAIT.search(f)), None)
    return wait, via


def _token(frame):
    """What code a frame is in: its module, else its function's prefix."""
    if " [" in frame:
        return frame.split(" [")[1].rstrip("]")
    return frame.split("_")[0] if "_" in frame.strip("_") else frame


def analyse(log):
    """The task dumps of the log as {"dumps", "tasks", "blocked",
    "suspects", "note"}, or None when the log has no sysrq-t dump."""
    if not SHOW_STATE.search(log):
        return None
    tasks = _tasks(log)
    blocked, groups = [], {}
    for comm, pid, state, frames in tasks:
        if state.startswith("D"):
            wait, via = _where(frames)
            g = groups.setdefault((comm, wait, via), {"comm": comm, "state": "D",
                                                      "waits_in": wait, "via": via, "pids": []})
            if pid not in g["pids"]:
                g["pids"].append(pid)
    blocked = list(groups.values())
    for b in blocked:
        b["count"] = len(b["pids"])
        b["pids"] = b["pids"][:MAX_PIDS]
    code = {_token(b["via"]) for b in blocked if b["via"]} | \
        {_token(b["waits_in"]) for b in blocked if b["waits_in"]}
    code -= {"vfs", "do", "ksys", "handle", "exc"}
    suspects, seen = [], set()
    for comm, pid, state, frames in tasks:
        if state.startswith("D") or (comm, pid) in seen:
            continue
        real = [f for f in frames if not SLEEP.match(f.split(" ")[0])]
        # asleep at the top of its own main loop, or with nothing but its
        # main function on the stack: a thread waiting for work
        if not real or IDLE_ONLY.match(real[0].split(" ")[0]) or (len(real) < 2 and state != "cpu"):
            continue
        if any(_token(f) in code for f in real):
            seen.add((comm, pid))
            suspects.append({"comm": comm, "pid": pid, "state": state, "stack": real[:12]})
    note = ""
    if blocked and not suspects:
        note = ("no task outside D state is in the code the blocked tasks wait in: "
                "what they wait for is held by no task (a frozen filesystem, I/O "
                "the device has not completed) or by one that left no stack")
    return {"dumps": len(SHOW_STATE.findall(log)), "tasks": len(tasks),
            "blocked": blocked, "suspects": suspects, "note": note}
