"""The demo (`make run` = scripts/demo.sh): the commands it prints work.

The script keeps its state in demo/ next to scripts/, so it runs from a
copy in a temporary directory against the build under test; its output is
read up to the "Starting:" line and every `curl` and `python3` command it
suggests (POP3 and IMAP) is run exactly as printed."""

import os
import re
import shutil
import signal
import subprocess

import pytest

from loftlib import (BUILD_DIR, CRASH_RE, REPO, STOP_DEADLINE, WorkDir,
                     wait_ports)
from procs import wait_until

pytestmark = pytest.mark.loft_only


@pytest.fixture
def demo():
    """(process, printed lines) of a demo started from a copy of the
    script; stopped (Ctrl-C) at teardown."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    d = WorkDir(prefix="loft-it-demo-")
    (d.path / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "demo.sh", d.path / "scripts" / "demo.sh")
    out_path = d.path / "demo.out"
    err_path = d.path / "demo.err"
    env = dict(os.environ, LOFT_BUILD_DIR=str(BUILD_DIR))
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(["sh", str(d.path / "scripts" / "demo.sh")],
                                stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, env=env, cwd=str(d.path),
                                start_new_session=True)

    def printed():
        if proc.poll() is not None:
            raise AssertionError("demo exited with %s:\n%s\n%s" % (
                proc.returncode, out_path.read_text(), err_path.read_text()))
        text = out_path.read_text()
        return text if "Starting:" in text else None

    try:
        text = wait_until(printed, "the demo to print how to connect")
        yield proc, text.splitlines(), err_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        d.cleanup()


def _expected(cmd):
    """What a printed command's output must contain, by what it asks."""
    if "imap" in cmd and cmd.rstrip("'").endswith("/"):
        # LIST "" "*": INBOX and the special-use folders of the config
        return [rb'^\* LIST \([^)]*\) "\." INBOX\r?$',
                rb'^\* LIST \([^)]*\\Sent[^)]*\) "\." Sent\r?$',
                rb'^\* LIST \([^)]*\\Trash[^)]*\) "\." Trash\r?$']
    if "imap" in cmd and "?" in cmd:
        return [rb"^\* SEARCH 1\r?$"]       # SUBJECT Welcome: message 1
    if cmd.rstrip("'").endswith("/"):
        return [rb"^\d+ \d+\r?$"]         # a POP3 listing: "1 SIZE" lines
    return [rb"This is demo message 1\."]


def test_demo_prints_commands_that_work(demo):
    proc, lines, err_path = demo
    ports = sorted({int(p) for p in
                    re.findall(r"127\.0\.0\.1:(\d+)", "\n".join(lines))})
    assert ports, lines
    wait_ports("127.0.0.1", ports, proc=proc)
    commands = [l.strip() for l in lines
                if l.strip().startswith(("curl ", "python3 "))]
    for scheme in ("pop3s://", "imaps://", "imap://"):
        assert any(c.startswith("curl ") and scheme in c
                   for c in commands), (scheme, lines)
    assert any(c.startswith("python3 ") and "poplib" in c
               for c in commands), lines
    assert any(c.startswith("python3 ") and "IMAP4_SSL" in c
               for c in commands), lines
    assert any(c.startswith("python3 ") and "starttls" in c
               for c in commands), lines
    # imaps with the demo CA, not -k
    assert any("imaps://" in c and "--cacert" in c for c in commands), lines
    # a hint for other clients
    assert any("mutt" in l for l in lines), lines
    for cmd in commands:
        r = subprocess.run(["sh", "-c", cmd], capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, (cmd, r.stdout, r.stderr,
                                   err_path.read_text())
        for pattern in _expected(cmd):
            assert re.search(pattern, r.stdout, re.M), (cmd, pattern,
                                                        r.stdout)
    # The STARTTLS imaplib one-liner's SEARCH finds "Dots and more" (3).
    starttls = [c for c in commands if "starttls" in c]
    r = subprocess.run(["sh", "-c", starttls[0]], capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    assert b"('OK', [b'3'])" in r.stdout, r.stdout
    # Ctrl-C stops it cleanly
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=STOP_DEADLINE) == 0
    log = err_path.read_bytes()
    assert not CRASH_RE.search(log), log.decode("utf-8", "replace")
