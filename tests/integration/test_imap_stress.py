"""Many clients reading big responses slowly at once, through the login
processes: plain connections (handed to the mail process), implicit TLS
and STARTTLS (proxied by imap-login and pop3-login).

One run starts, all at the same time:
- slow readers: IMAP clients that FETCH BODY.PEEK[] of a 3 MB and a 20 KB
  message and POP3 clients that RETR the 3 MB one, reading with small
  receive buffers, reads of a few bytes to a few KB and random pauses;
  each must get every byte exactly as the message file has it;
- clients that never read: some pipeline CAPABILITY forever, some send a
  FETCH of every message or a RETR and then sit silent; once their output
  is stuck the mail process stops running their commands, and its
  inactivity timeout ends them, also when imap-login or pop3-login proxies
  the connection over TLS. The server's end of each connection must be
  closed in the end (no process holds it);
- clients that hang up in the middle of a response (FIN or RST).
Meanwhile the proportional set size of the mail and login processes is
sampled; afterwards a new client logs in and reads a message, every
service process is still alive and the log has no crash or sanitizer
report. Deadlines are safety nets; nothing here measures time."""

import os
import random
import re
import socket
import ssl
import struct
import threading
import time

import pytest

import procs
from loftlib import IO_TIMEOUT, crlf, expected_lines, login_retry

pytestmark = pytest.mark.loft_only

SLOW_IMAP_PER_MODE = 8      # x 3 modes
SLOW_POP3_PER_MODE = 2      # x 3 modes
NEVER_READ_PER_MODE = 2     # x 2 kinds x 2 modes (plain, imaps)
HANG_UP = 6
# A well-behaved client's small receive buffer: the server's output backs
# up and its commands must stop and resume.
SLOW_RCVBUF = 8192
# The whole run's safety net.
RUN_DEADLINE = 150.0
# Peak PSS of one mail or login process: generous (about 25 MB seen), and
# eight times that under AddressSanitizer (shadow memory and a quarantine
# of up to 256 MB of freed blocks; about 220 MB seen).
PSS_BOUND_KB = 64 * 1024
ASAN_PSS_FACTOR = 8
# The mail processes' inactivity timeout: ends the silent never-readers; a
# slow reader is never idle that long (its output drains all the time).
IDLE_TIMEOUT_SECS = 10

# IMAP sessions share users; a POP3 session holds its user's maildrop
# (RFC 1939 section 8), so each POP3 client has a user of its own.
IMAP_USERS = {"u%02d" % i: "pw-%02d" % i for i in range(12)}
POP3_USERS = {"p%02d" % i: "pw-p%02d" % i for i in range(16)}
USERS = dict(IMAP_USERS, **POP3_USERS)


@pytest.fixture(scope="module")
def stress_server(module_factory):
    return module_factory.start(
        ports=("imap", "imaps", "pop3", "pop3s"), plaintext=True,
        users=USERS,
        extra=["mail_max_userip_connections = 1000",
               "client_idle_timeout = %d secs" % IDLE_TIMEOUT_SECS])


# ------------------------------------------------------------- clients ---

class SlowSocket:
    """A socket read in small random pieces with random pauses."""

    def __init__(self, srv, port_name, tls, rng, rcvbuf=SLOW_RCVBUF):
        self.srv = srv
        self.rng = rng
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(IO_TIMEOUT)
        s.connect((srv.host, srv.port(port_name)))
        self.server_port = srv.port(port_name)
        self.local_port = s.getsockname()[1]
        self.raw = s
        self.sock = s
        if tls:
            self.starttls()
        self.buf = b""

    def starttls(self):
        self.sock = self.srv.ssl_context().wrap_socket(
            self.raw, server_hostname="localhost")

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        if self.rng.random() < 0.03:
            time.sleep(self.rng.random() * 0.03)  # load, not sync
        n = self.rng.choice((1, 5, 64, 700, 1500, 4096, 4096, 8192, 16384))
        data = self.sock.recv(n)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + 2:]
                return out
            self._fill()

    def exact(self, n):
        chunks = [self.buf[:n]]
        got = len(chunks[0])
        self.buf = self.buf[n:]
        while got < n:
            self._fill()
            take = self.buf[:n - got]
            self.buf = self.buf[n - got:]
            chunks.append(take)
            got += len(take)
        return b"".join(chunks)

    def close(self, reset=False):
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
        try:
            self.sock.close()
        except OSError:
            pass


LITERAL_RE = re.compile(rb"\{(\d+)\}$")


def imap_response(s, tag):
    """Reads until the tagged reply; returns (untagged, tagged), literals
    as separate items in untagged: [(line, literal or None), ...]."""
    untagged = []
    while True:
        line = s.line()
        if line.startswith(tag + b" "):
            return untagged, line
        m = LITERAL_RE.search(line)
        lit = s.exact(int(m.group(1))) if m else None
        untagged.append((line, lit))
        if lit is not None:
            # the rest of the response after the literal
            untagged.append((s.line(), None))


def imap_cmd(s, tag, text, expect=b"OK"):
    s.send(tag + b" " + text + b"\r\n")
    untagged, tagged = imap_response(s, tag)
    assert tagged.startswith(tag + b" " + expect), (text, tagged)
    return untagged


def imap_connect(srv, mode, rng, user, rcvbuf=SLOW_RCVBUF):
    """Logged in and INBOX selected, over plain, imaps or starttls."""
    s = SlowSocket(srv, "imaps" if mode == "imaps" else "imap",
                   mode == "imaps", rng, rcvbuf)
    assert s.line().startswith(b"* OK")
    if mode == "starttls":
        imap_cmd(s, b"s", b"STARTTLS")
        s.starttls()
    name, pw = user
    imap_cmd(s, b"l", b'LOGIN "%s" "%s"' % (name.encode(), pw.encode()))
    imap_cmd(s, b"x", b"SELECT INBOX")
    return s


def pop3_connect(srv, mode, rng, user, rcvbuf=SLOW_RCVBUF):
    s = SlowSocket(srv, "pop3s" if mode == "pop3s" else "pop3",
                   mode == "pop3s", rng, rcvbuf)
    assert s.line().startswith(b"+OK")
    if mode == "stls":
        s.send(b"STLS\r\n")
        assert s.line().startswith(b"+OK")
        s.starttls()
    name, pw = user
    s.send(b"USER %s\r\nPASS %s\r\n" % (name.encode(), pw.encode()))
    assert s.line().startswith(b"+OK")
    assert s.line().startswith(b"+OK")
    return s


def slow_imap(srv, mode, rng, user, messages):
    s = imap_connect(srv, mode, rng, user)
    try:
        got = imap_cmd(s, b"f", b"FETCH 3:4 (BODY.PEEK[])")
        bodies = [lit for _, lit in got if lit is not None]
        assert len(bodies) == 2, [line for line, _ in got]
        for data, want in zip(bodies, (messages[2], messages[3])):
            want = crlf(want)
            assert len(data) == len(want)
            assert data == want, "message differs at byte %d" % next(
                i for i in range(len(data)) if data[i] != want[i])
        imap_cmd(s, b"z", b"LOGOUT")
    finally:
        s.close()


def slow_pop3(srv, mode, rng, user, messages):
    s = pop3_connect(srv, mode, rng, user)
    try:
        s.send(b"RETR 4\r\n")
        assert s.line().startswith(b"+OK")
        lines = []
        while True:
            line = s.line()
            if line == b".":
                break
            lines.append(line[1:] if line.startswith(b".") else line)
        want = expected_lines(messages[3])
        assert len(lines) == len(want)
        assert lines == want
        s.send(b"QUIT\r\n")
        assert s.line().startswith(b"+OK")
    finally:
        s.close()


def server_side_closed(server_port, client_port):
    """True when no process holds the server's end of the loopback
    connection from client_port any more: /proc/net/tcp lists it with
    inode 0 (orphaned, still sending what it had) or not at all."""
    want_local = ":%04X" % server_port
    want_remote = ":%04X" % client_port
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(path).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[1].endswith(want_local) and f[2].endswith(want_remote):
                return f[9] == "0"
    return True


def wait_server_closed(s, deadline, kick=None):
    """Polls until the server has closed its end of s (kick() is called
    between polls, e.g. to send more); fails at the deadline."""
    while not server_side_closed(s.server_port, s.local_port):
        if time.monotonic() > deadline:
            raise AssertionError("server still holds the connection from "
                                 "port %d" % s.local_port)
        if kick is not None:
            kick()
        time.sleep(0.1)  # polling interval


def never_reads_pipelining(srv, mode, rng, user, deadline):
    """Pipelines CAPABILITY and never reads: the output bound ends it."""
    s = imap_connect(srv, mode, rng, user, rcvbuf=4096)
    chunk = b"c CAPABILITY\r\n" * 200
    s.sock.settimeout(0.5)

    def kick():
        try:
            s.send(chunk)
        except (socket.timeout, ssl.SSLError, OSError):
            pass
    try:
        wait_server_closed(s, deadline, kick)
    finally:
        s.close()


def never_reads_silent(srv, mode, rng, user, deadline):
    """Asks for every message and then neither reads nor sends: the
    inactivity timeout ends it."""
    s = imap_connect(srv, mode, rng, user, rcvbuf=4096)
    try:
        s.send(b"f FETCH 1:* (BODY.PEEK[])\r\n")
        wait_server_closed(s, deadline)
    finally:
        s.close()


def never_reads_silent_pop3(srv, mode, rng, user, deadline):
    """RETRs the big message and then neither reads nor sends."""
    s = pop3_connect(srv, mode, rng, user, rcvbuf=4096)
    try:
        s.send(b"RETR 4\r\n")
        wait_server_closed(s, deadline)
    finally:
        s.close()


def hang_up(srv, mode, rng, user, messages):
    """Reads part of a big response, then closes (half of them with RST)."""
    s = imap_connect(srv, mode, rng, user)
    s.send(b"f FETCH 4 (BODY.PEEK[])\r\n")
    s.exact(rng.randrange(1, len(messages[3])))
    s.close(reset=rng.random() < 0.5)


# -------------------------------------------------------------- memory ---

def service_processes(master):
    out = {}
    for pid in procs.descendants(master):
        argv = procs.cmdline(pid)
        if argv:
            name = os.path.basename(argv[0])
            if name in ("imap", "imap-login", "pop3", "pop3-login"):
                out[pid] = name
    return out


def pss_kb(pid):
    try:
        for line in open("/proc/%d/smaps_rollup" % pid):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def under_asan(pid):
    try:
        return "libasan" in open("/proc/%d/maps" % pid).read()
    except OSError:
        return False


# ---------------------------------------------------------------- test ---

def test_many_slow_readers(stress_server):
    srv = stress_server
    master = procs.master_pid(srv)
    before = {pid: name for pid, name in service_processes(master).items()
              if pid in procs.children(master)}
    users = sorted(IMAP_USERS)
    pop3_users = sorted(POP3_USERS)
    messages = srv.users[users[0]].messages
    rng = random.Random(int(os.environ.get("LOFT_STRESS_SEED", "4711")))
    deadline = time.monotonic() + RUN_DEADLINE
    jobs = []
    n = 0

    def user():
        nonlocal n
        name = users[n % len(users)]
        n += 1
        return name, USERS[name]

    def pop3_user():
        name = pop3_users.pop()
        return name, USERS[name]

    for mode in ("plain", "imaps", "starttls"):
        for _ in range(SLOW_IMAP_PER_MODE):
            jobs.append(("slow imap " + mode, slow_imap,
                         (srv, mode, random.Random(rng.random()), user(),
                          messages)))
    for mode in ("plain", "pop3s", "stls"):
        for _ in range(SLOW_POP3_PER_MODE):
            jobs.append(("slow pop3 " + mode, slow_pop3,
                         (srv, mode, random.Random(rng.random()), pop3_user(),
                          messages)))
    for mode in ("plain", "imaps"):
        for _ in range(NEVER_READ_PER_MODE):
            jobs.append(("pipelining never-reader " + mode,
                         never_reads_pipelining,
                         (srv, mode, random.Random(rng.random()), user(),
                          deadline)))
            jobs.append(("silent never-reader " + mode, never_reads_silent,
                         (srv, mode, random.Random(rng.random()), user(),
                          deadline)))
    for mode in ("plain", "pop3s"):
        jobs.append(("silent pop3 never-reader " + mode,
                     never_reads_silent_pop3,
                     (srv, mode, random.Random(rng.random()), pop3_user(),
                      deadline)))
    for i in range(HANG_UP):
        mode = ("plain", "imaps", "starttls")[i % 3]
        jobs.append(("hang-up " + mode, hang_up,
                     (srv, mode, random.Random(rng.random()), user(),
                      messages)))
    rng.shuffle(jobs)

    errors = []
    lock = threading.Lock()

    def run(name, fn, args):
        try:
            fn(*args)
        except BaseException as e:  # noqa: B902 - reported below
            with lock:
                errors.append("%s: %r" % (name, e))

    threads = [threading.Thread(target=run, args=job, daemon=True)
               for job in jobs]
    for t in threads:
        t.start()

    peak = {}
    asan = False
    while any(t.is_alive() for t in threads):
        for pid, name in service_processes(master).items():
            kb = pss_kb(pid)
            if kb > peak.get(pid, (name, 0))[1]:
                peak[pid] = (name, kb)
            asan = asan or under_asan(pid)
        if time.monotonic() > deadline + 5:
            break
        time.sleep(0.2)  # sampling interval
    stuck = [job[0] for job, t in zip(jobs, threads) if t.is_alive()]
    assert not stuck, "clients still running at the deadline: %s" % stuck
    assert not errors, "\n".join(errors)

    bound = PSS_BOUND_KB * (ASAN_PSS_FACTOR if asan else 1)
    over = {pid: v for pid, v in peak.items() if v[1] > bound}
    assert not over, "PSS above %d kB: %s" % (bound, over)

    # Still serving: a new login over each protocol reads a message.
    name = users[0]
    c = login_retry(srv, srv.users[name], "ssl")
    try:
        assert c.retr(4)[1] == expected_lines(messages[3])
        c.quit()
    finally:
        c.close()
    s = imap_connect(srv, "imaps", random.Random(1), (name, USERS[name]))
    try:
        got = imap_cmd(s, b"f", b"FETCH 4 (BODY.PEEK[])")
        assert [lit for _, lit in got if lit is not None] == [
            crlf(messages[3])]
        imap_cmd(s, b"z", b"LOGOUT")
    finally:
        s.close()

    # The services and the mail workers that served the run are all still
    # there, and nothing crashed.
    gone = {pid: name for pid, name in before.items() if not procs.alive(pid)}
    gone.update({pid: v[0] for pid, v in peak.items()
                 if "--worker" in " ".join(procs.cmdline(pid) or ["--worker"])
                 and not procs.alive(pid)})
    assert not gone, "processes gone: %s" % gone
    assert not srv.crash_lines(), srv.crash_lines()
