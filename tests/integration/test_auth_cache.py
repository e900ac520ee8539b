"""The auth service's cache, flush, penalty and robustness, black-box.

Starts the real `auth` binary with auth_cache_size set and a passwd-file
whose path depends on the service (users.%s), and speaks to it over its
UNIX sockets and through `loftadm`.  Checks: two services never share a
cache entry (the "two users colliding in the auth cache" failure mode),
cached data is served until `loftadm auth cache flush`, the failure
penalty per remote IP (ordering of replies, never their timing), and that
invalid base64 on one connection does not hold up another client.
"""

import base64
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.loft_only

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("LOFT_BUILD_DIR", REPO / "build"))
TIMEOUT = 30


def auth_binary():
    for cand in (BUILD_DIR / "src" / "libexec" / "auth",
                 BUILD_DIR / "src" / "auth" / "auth",
                 BUILD_DIR / "src" / "auth"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    pytest.fail("auth binary not found under %s" % BUILD_DIR, pytrace=False)


def loftadm(*args):
    binary = BUILD_DIR / "src" / "loftadm"
    if not binary.is_file():
        pytest.fail("loftadm not built under %s" % BUILD_DIR, pytrace=False)
    return subprocess.run([str(binary)] + list(args), capture_output=True,
                          text=True, timeout=TIMEOUT)


def b64(data):
    return base64.b64encode(data).decode()


def plain(user, password):
    return b64(b"\0" + user.encode() + b"\0" + password.encode())


class AuthServer:
    def __init__(self, tmp, extra=""):
        self.dir = tmp
        self.base = tmp / "run"
        self.log = tmp / "auth.log"
        self.imap_users = tmp / "users.imap"
        self.pop3_users = tmp / "users.pop3"
        self.imap_users.write_text("alice:{PLAIN}imap-pw::::::mark=imap\n")
        self.pop3_users.write_text("alice:{PLAIN}pop3-pw::::::mark=pop3\n")
        self.conf = tmp / "loft.conf"
        self.conf.write_text(
            "base_dir = %s\n"
            "log_path = %s\n"
            "auth_mechanisms = plain login\n"
            "auth_verbose = yes\n"
            "auth_failure_delay = 0\n"
            "auth_cache_size = 1M\n"
            "auth_cache_ttl = 1 hour\n"
            "auth_cache_negative_ttl = 1 hour\n"
            "%s"
            "passdb {\n  driver = passwd-file\n"
            "  args = scheme=PLAIN %s/users.%%s\n}\n"
            % (self.base, self.log, extra, tmp))
        env = dict(os.environ)
        env.pop("LOFT_LISTENERS", None)
        self.stderr = open(tmp / "stderr.log", "wb")
        self.proc = subprocess.Popen(
            [str(auth_binary()), "-c", str(self.conf)], env=env,
            stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if all((self.base / n).exists()
                   for n in ("auth-client", "auth-master")):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)  # readiness polling
        self.stop()
        pytest.fail("auth did not start: %s %s" % (
            (tmp / "stderr.log").read_text(errors="replace"),
            self.log_text()))

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode

    def adm(self, *args):
        return loftadm("-c", str(self.conf), *args)


class Conn:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(str(path))
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def lines_until(self, pred):
        out = []
        while True:
            out.append(self.line())
            if pred(out[-1]):
                return out

    def close(self):
        self.sock.close()


def client(srv):
    c = Conn(srv.base / "auth-client")
    c.lines_until(lambda l: l == "DONE")
    c.send("VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
    return c


def reply_ids(conn, count):
    """The ids of the next `count` OK/FAIL replies, in arrival order."""
    out = []
    while len(out) < count:
        parts = conn.line().split("\t")
        if parts[0] in ("OK", "FAIL"):
            out.append((parts[0], int(parts[1])))
    return out


@pytest.fixture
def auth(tmp_path):
    srv = AuthServer(tmp_path)
    yield srv
    rc = srv.stop()
    assert rc == 0, "auth exited with %r; log:\n%s" % (rc, srv.log_text())
    assert "Panic" not in srv.log_text()


def test_services_never_share_a_cache_entry(auth):
    # users.%s: the same user name has a different password per service.
    for _ in range(2):  # the second round is answered from the cache
        r = auth.adm("auth", "test", "alice", "imap-pw", "-x", "service=imap")
        assert r.returncode == 0, r.stdout + r.stderr
        r = auth.adm("auth", "test", "alice", "imap-pw", "-x", "service=pop3")
        assert r.returncode == 77, r.stdout + r.stderr
        r = auth.adm("auth", "test", "alice", "pop3-pw", "-x", "service=pop3")
        assert r.returncode == 0, r.stdout + r.stderr
        r = auth.adm("auth", "test", "alice", "pop3-pw", "-x", "service=imap")
        assert r.returncode == 77, r.stdout + r.stderr
        r = auth.adm("auth", "lookup", "alice", "-x", "service=imap")
        assert r.returncode == 0 and "mark\timap" in r.stdout, r.stdout
        r = auth.adm("auth", "lookup", "alice", "-x", "service=pop3")
        assert r.returncode == 0 and "mark\tpop3" in r.stdout, r.stdout


def wait_passwd_file_recheck():
    """passwd-file looks at its file at most once a second; let that
    interval pass so that the database itself sees a rewrite."""
    start = time.time()
    while time.time() < start + 2.2:
        time.sleep(0.1)


def test_cache_served_until_flush(auth):
    r = auth.adm("auth", "lookup", "alice", "-x", "service=imap")
    assert "mark\timap" in r.stdout
    r = auth.adm("auth", "lookup", "carl", "-x", "service=imap")
    assert r.returncode == 67, r.stdout + r.stderr
    auth.imap_users.write_text("alice:{PLAIN}new-pw::::::mark=changed\n"
                               "carl:{PLAIN}carl-pw\n")
    wait_passwd_file_recheck()
    # both the positive and the negative entry are still used
    r = auth.adm("auth", "lookup", "alice", "-x", "service=imap")
    assert "mark\timap" in r.stdout
    r = auth.adm("auth", "lookup", "carl", "-x", "service=imap")
    assert r.returncode == 67
    # one user
    r = auth.adm("auth", "cache", "flush", "alice")
    assert r.returncode == 0 and r.stdout.startswith("1 "), r.stdout + r.stderr
    r = auth.adm("auth", "lookup", "alice", "-x", "service=imap")
    assert "mark\tchanged" in r.stdout
    r = auth.adm("auth", "lookup", "carl", "-x", "service=imap")
    assert r.returncode == 67
    # everything
    r = auth.adm("auth", "cache", "flush")
    assert r.returncode == 0, r.stdout + r.stderr
    r = auth.adm("auth", "lookup", "carl", "-x", "service=imap")
    assert r.returncode == 0, r.stdout + r.stderr
    # the new password works, the old one does not
    r = auth.adm("auth", "test", "alice", "new-pw", "-x", "service=imap")
    assert r.returncode == 0
    r = auth.adm("auth", "test", "alice", "imap-pw", "-x", "service=imap")
    assert r.returncode == 77


def test_cache_flush_protocol(auth):
    c = Conn(auth.base / "auth-master")
    c.send("VERSION\t1\t0\nPASS\t1\talice\tservice=imap\n")
    assert c.lines_until(lambda l: l.startswith("PASS\t1\t"))
    c.send("CACHE-FLUSH\t2\tnobody\n")
    assert c.lines_until(lambda l: l.startswith("OK\t2"))[-1] == "OK\t2\t0"
    c.send("CACHE-FLUSH\t3\n")
    assert c.lines_until(lambda l: l.startswith("OK\t3"))[-1] == "OK\t3\t1"
    c.close()


def test_invalid_base64_does_not_stall_others(auth):
    broken = client(auth)
    broken.send("AUTH\t1\tPLAIN\tservice=imap\tresp=%%%%not base64!!\n")
    other = client(auth)
    other.send("AUTH\t1\tPLAIN\tservice=imap\tresp=%s\n"
               % plain("alice", "imap-pw"))
    assert other.lines_until(lambda l: l.startswith(("OK", "FAIL")))[-1] \
        .startswith("OK\t1\t")
    # the broken client got its answer and is still connected
    assert broken.lines_until(lambda l: l.startswith("FAIL"))[-1] \
        .startswith("FAIL\t1")
    # the same with a broken CONT in the middle of a LOGIN exchange
    broken.send("AUTH\t2\tLOGIN\tservice=imap\n")
    assert broken.line().startswith("CONT\t2\t")
    broken.send("CONT\t2\t%%%%\n")
    other.send("AUTH\t2\tLOGIN\tservice=imap\n")
    assert other.line().startswith("CONT\t2\t")
    other.send("CONT\t2\t%s\n" % b64(b"alice"))
    assert other.line().startswith("CONT\t2\t")
    other.send("CONT\t2\t%s\n" % b64(b"imap-pw"))
    assert other.lines_until(lambda l: l.startswith(("OK", "FAIL")))[-1] \
        .startswith("OK\t2\t")
    assert broken.lines_until(lambda l: l.startswith("FAIL"))[-1] \
        .startswith("FAIL\t2")
    broken.close()
    other.close()


def test_penalty_per_remote_ip(auth):
    c = client(auth)
    bad, good = "10.1.1.1", "10.2.2.2"
    ok = plain("alice", "imap-pw")

    def auth_line(rid, ip, resp, extra=""):
        return ("AUTH\t%d\tPLAIN\tservice=imap\trip=%s%s\tresp=%s\n"
                % (rid, ip, extra, resp))

    c.send(auth_line(1, bad, plain("alice", "wrong-1")))
    assert reply_ids(c, 1) == [("FAIL", 1)]
    # The penalised IP's request was sent first but is answered last.
    c.send(auth_line(2, bad, ok) + auth_line(3, good, ok))
    assert reply_ids(c, 2) == [("OK", 3), ("OK", 2)]
    # The success reset the penalty: answered in order again.
    c.send(auth_line(4, bad, ok) + auth_line(5, good, ok))
    assert reply_ids(c, 2) == [("OK", 4), ("OK", 5)]
    # no-penalty from the login: not held back.
    c.send(auth_line(6, bad, plain("alice", "wrong-2")))
    assert reply_ids(c, 1) == [("FAIL", 6)]
    c.send(auth_line(7, bad, ok, "\tno-penalty") + auth_line(8, good, ok))
    assert reply_ids(c, 2) == [("OK", 7), ("OK", 8)]
    # without no-penalty it is held back
    c.send(auth_line(9, bad, ok) + auth_line(10, good, ok))
    assert reply_ids(c, 2) == [("OK", 10), ("OK", 9)]
    c.close()


def test_trusted_network_has_no_penalty(tmp_path):
    srv = AuthServer(tmp_path, extra="login_trusted_networks = 10.9.0.0/16\n")
    try:
        c = client(srv)
        ok = plain("alice", "imap-pw")
        c.send("AUTH\t1\tPLAIN\tservice=imap\trip=10.9.1.1\tresp=%s\n"
               % plain("alice", "wrong"))
        assert reply_ids(c, 1) == [("FAIL", 1)]
        c.send("AUTH\t2\tPLAIN\tservice=imap\trip=10.9.1.1\tresp=%s\n"
               "AUTH\t3\tPLAIN\tservice=imap\trip=10.2.2.2\tresp=%s\n"
               % (ok, ok))
        assert reply_ids(c, 2) == [("OK", 2), ("OK", 3)]
        c.close()
    finally:
        assert srv.stop() == 0, srv.log_text()
