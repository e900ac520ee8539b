"""Process-tree, log and polling helpers for the master and privilege
tests.  Everything here looks at a running server from the outside:
/proc, the log file and the documented command line."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from loftlib import LOFT_BIN, START_DEADLINE, STOP_DEADLINE

POLL_INTERVAL = 0.05  # polling interval of readiness checks


def wait_until(pred, what, deadline=START_DEADLINE):
    """Calls pred() until it returns something true and returns that;
    fails with `what` when the deadline passes first.  The deadline is a
    safety net, never the thing being tested."""
    end = time.monotonic() + deadline
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("timed out after %.0f s waiting for %s"
                                 % (deadline, what))
        time.sleep(POLL_INTERVAL)


# ------------------------------------------------------------- processes ---

def _stat_fields(pid):
    """(state, ppid) from /proc/PID/stat, or None when it is gone."""
    try:
        data = Path("/proc/%d/stat" % pid).read_bytes()
    except OSError:
        return None
    rest = data[data.rindex(b")") + 2:].split()
    return rest[0].decode(), int(rest[1])


def alive(pid):
    """True while pid exists and is not a zombie."""
    st = _stat_fields(pid)
    return st is not None and st[0] != "Z"


def children(pid):
    """Live child pids of pid."""
    kids = []
    for task in Path("/proc/%d/task" % pid).glob("*/children"):
        try:
            kids += [int(x) for x in task.read_text().split()]
        except OSError:
            pass
    if kids or Path("/proc/%d/task/%d/children" % (pid, pid)).exists():
        return [k for k in kids if alive(k)]
    # kernels without /proc/PID/task/TID/children: scan every process
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        st = _stat_fields(int(entry.name))
        if st is not None and st[1] == pid and st[0] != "Z":
            kids.append(int(entry.name))
    return kids


def descendants(pid):
    out = []
    todo = [pid]
    while todo:
        for kid in children(todo.pop()):
            out.append(kid)
            todo.append(kid)
    return out


def cmdline(pid):
    try:
        raw = Path("/proc/%d/cmdline" % pid).read_bytes()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def service_pids(master_pid, name):
    """Pids of the master's children running the service binary `name`
    (auth, pop3-login, pop3)."""
    out = []
    for p in children(master_pid):
        # read once: the process may exit between two reads
        argv = cmdline(p)
        if argv and os.path.basename(argv[0]) == name:
            out.append(p)
    return sorted(out)


def one_service_pid(master_pid, name):
    """The pid of the one process of service `name`, waiting for it to
    be (re)started."""
    def find():
        pids = service_pids(master_pid, name)
        return pids[0] if len(pids) == 1 else None
    return wait_until(find, "exactly one %s process" % name)


def worker_pids(master_pid):
    """Pids of the pop3 mail workers (children of the pop3 dispatcher)."""
    return sorted(p for p in descendants(master_pid) if "--worker" in cmdline(p))


def proc_status(pid):
    """/proc/PID/status as a dict of strings."""
    out = {}
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def proc_ids(pid):
    """((ruid, euid, suid, fsuid), (rgid, ...), [supplementary gids])."""
    st = proc_status(pid)
    uids = tuple(int(x) for x in st["Uid"].split())
    gids = tuple(int(x) for x in st["Gid"].split())
    groups = [int(x) for x in st.get("Groups", "").split()]
    return uids, gids, groups


def proc_root(pid):
    return os.readlink("/proc/%d/root" % pid)


# ------------------------------------------------------------------- log ---

class LogWatch:
    """Reads a server's log file from the point where it was created, so
    a test looks only at lines logged after its own action."""

    def __init__(self, server):
        self.path = server.log_path
        self.extra = server.stderr_path
        self.offset = self._size(self.path)

    @staticmethod
    def _size(path):
        try:
            return path.stat().st_size
        except OSError:
            return 0

    def text(self):
        try:
            data = self.path.read_bytes()[self.offset:]
        except OSError:
            data = b""
        return data.decode("utf-8", "replace")

    def search(self, pattern):
        return re.search(pattern, self.text(), re.M)

    def wait(self, pattern, what=None):
        return wait_until(lambda: self.search(pattern),
                          what or "log line matching %r" % pattern)


# --------------------------------------------------------------- servers ---

def loft_cli(*args, timeout=STOP_DEADLINE * 3):
    """Runs the loft command line (not as a daemon); CompletedProcess."""
    return subprocess.run([str(LOFT_BIN)] + list(args), capture_output=True,
                          text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def master_pid(server):
    return server.proc.pid


def pidfile(server):
    return server.config.root / "run" / "master.pid"


def stop_expecting(server, allowed=()):
    """Stops server and fails on any problem the test did not expect:
    `allowed` are regexes for problems the test caused on purpose (a
    process it killed, an exit it asked for)."""
    problems = server.stop()
    unexpected = [p for p in problems
                  if not any(re.search(a, p) for a in allowed)]
    assert not unexpected, "%s\n%s" % ("\n".join(unexpected),
                                      server.log_text())


def kill_quietly(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
