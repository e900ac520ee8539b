"""Process limits the master hands down to its services.

The master raises its soft RLIMIT_NOFILE to the hard limit at start, so
that the imap mail process (two descriptors per IDLE session) and the
login processes can hold thousands of connections without the
administrator raising the limit by hand. The server is started with a
low soft limit under a higher hard one; every process it runs, down to
the imap worker serving a logged-in client, must have soft = hard.
"""
import os
import resource
import shutil

import pytest

import procs
from loftlib import LoftServer

pytestmark = pytest.mark.loft_only

LOW_SOFT = 256


def _nofile(pid):
    """(soft, hard) "Max open files" of a process, from /proc/PID/limits;
    "unlimited" reads as None."""
    for line in open("/proc/%d/limits" % pid):
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return tuple(None if v == "unlimited" else int(v)
                         for v in (soft, hard))
    raise AssertionError("no Max open files line for pid %d" % pid)


def _imap_workers(master):
    """The descendants of the master that serve IMAP sessions: processes
    of the imap binary (dispatcher and per-uid workers)."""
    return [p for p in procs.descendants(master)
            if procs.cmdline(p)[:1]
            and os.path.basename(procs.cmdline(p)[0]) == "imap"]


def test_services_inherit_raised_nofile_limit(server_factory):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard <= LOW_SOFT:
        pytest.skip("hard RLIMIT_NOFILE %d leaves nothing to raise" % hard)
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) is not installed")
    cfg, us = server_factory.world(ports=("imap", "imaps"), plaintext=True)
    srv = LoftServer(cfg, us, server_factory.cert[0])
    hard_arg = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    srv.prefix = ["prlimit", "--nofile=%d:%s" % (LOW_SOFT, hard_arg), "--"]
    server_factory.servers.append(srv)
    srv.start()
    master = procs.master_pid(srv)

    c = srv.imap_login(us["alice"])
    try:
        typ, _ = c.select("INBOX")
        assert typ == "OK"
        workers = procs.wait_until(lambda: _imap_workers(master),
                                   "an imap process serving alice")
        checked = [master] + workers + procs.service_pids(master,
                                                          "imap-login")
        for pid in checked:
            soft, hard_seen = _nofile(pid)
            assert soft is None or soft > LOW_SOFT, (pid, procs.cmdline(pid))
            assert soft == hard_seen, (pid, procs.cmdline(pid), soft,
                                       hard_seen)
        # The client's session still works in the raised process.
        typ, data = c.noop()
        assert typ == "OK"
    finally:
        c.logout()
