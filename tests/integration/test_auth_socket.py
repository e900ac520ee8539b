"""The auth service, started standalone, spoken to over its UNIX sockets.

Starts the real `auth` binary with a temporary config (base_dir in the
test's directory, a passwd-file with a PLAIN and a SHA512-CRYPT user) and
checks the Dovecot auth-client and auth-master protocols as a login
process and a mail service see them.  Nothing here asserts on timing.
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

# doveadm pw -s SHA512-CRYPT -p 'Secr3t pass'
BOB_HASH = ("$6$iEQvGpmcbmekirir$40pQnaXNllbbBzgtGkB6pW9g2gUCjzONWNjqn8Wg"
            "wOtp/hM/Q4PtV.XhF8FmXpm1M3.foKfHih7WSEG4LEvyg/")
USERS = (
    "# test users\n"
    "alice:{PLAIN}secret:1000:1000::/home/alice::userdb_quota_rule=*:storage=1G\n"
    "bob:{SHA512-CRYPT}%s:1001:1001::/home/bob\n" % BOB_HASH
)
TIMEOUT = 20


def auth_binary():
    for cand in (BUILD_DIR / "src" / "auth", BUILD_DIR / "src" / "auth" / "auth",
                 BUILD_DIR / "src" / "libexec" / "auth"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    pytest.fail("auth binary not found under %s (build it, or set "
                "LOFT_BUILD_DIR)" % BUILD_DIR, pytrace=False)


class AuthServer:
    def __init__(self, tmp):
        self.dir = tmp
        self.base = tmp / "run"
        self.log = tmp / "auth.log"
        (tmp / "users").write_text(USERS)
        self.conf = tmp / "loft.conf"
        self.conf.write_text(
            "base_dir = %s\n"
            "log_path = %s\n"
            "auth_mechanisms = plain login\n"
            "auth_verbose = yes\n"
            "auth_failure_delay = 0\n"
            "passdb {\n  driver = passwd-file\n  args = %s\n}\n"
            "userdb {\n  driver = passwd-file\n  args = %s\n}\n"
            % (self.base, self.log, tmp / "users", tmp / "users"))
        env = dict(os.environ)
        env.pop("LOFT_LISTENERS", None)
        self.proc = subprocess.Popen(
            [str(auth_binary()), "-c", str(self.conf)], env=env,
            stdout=subprocess.DEVNULL, stderr=open(tmp / "stderr.log", "wb"))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if all((self.base / n).exists()
                   for n in ("auth-client", "auth-master", "auth-userdb")):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
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
        return self.proc.returncode


class Conn:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(str(path))
        self.buf = b""

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def lines_until(self, last):
        out = []
        while True:
            out.append(self.line())
            if out[-1] == last:
                return out

    def closed(self):
        """True when the server closed the connection."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def b64(data):
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def auth(tmp_path_factory):
    srv = AuthServer(tmp_path_factory.mktemp("auth"))
    yield srv
    rc = srv.stop()
    assert rc == 0, "auth exited with %r; log:\n%s" % (rc, srv.log_text())
    assert "Panic" not in srv.log_text()


@pytest.fixture
def client(auth):
    c = Conn(auth.base / "auth-client")
    c.handshake = c.lines_until("DONE")
    c.send("VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
    yield c
    c.close()


def test_handshake(auth):
    c = Conn(auth.base / "auth-client")
    lines = c.lines_until("DONE")
    assert lines[0] == "VERSION\t1\t2"
    assert lines[1:3] == ["MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext"]
    assert lines[3] == "SPID\t%d" % auth.proc.pid
    assert lines[4].startswith("CUID\t") and lines[4][5:].isdigit()
    assert lines[5].startswith("COOKIE\t")
    cookie = lines[5].split("\t")[1]
    assert len(cookie) == 32 and int(cookie, 16) >= 0
    assert lines[6] == "DONE"
    c.close()


def test_plain_ok(client):
    client.send("AUTH\t1\tPLAIN\tservice=pop3\trip=127.0.0.1\tresp=%s\n"
                % b64(b"\0alice\0secret"))
    assert client.line() == "OK\t1\tuser=alice"


def test_plain_sha512_crypt(client):
    client.send("AUTH\t2\tPLAIN\tservice=pop3\tresp=%s\n"
                % b64(b"\0bob\0Secr3t pass"))
    assert client.line() == "OK\t2\tuser=bob"


def test_plain_fail_same_answer(client, auth):
    client.send("AUTH\t3\tPLAIN\tservice=pop3\trip=192.0.2.1\tresp=%s\n"
                % b64(b"\0bob\0wrong"))
    assert client.line() == "FAIL\t3\tuser=bob"
    client.send("AUTH\t4\tPLAIN\tservice=pop3\trip=192.0.2.1\tresp=%s\n"
                % b64(b"\0nobody\0wrong"))
    assert client.line() == "FAIL\t4\tuser=nobody"
    log = auth.log_text()
    assert "passwd-file(bob,192.0.2.1): Password mismatch" in log
    assert "passwd-file(nobody,192.0.2.1): unknown user" in log
    assert "wrong" not in log


def test_login_with_cont(client):
    client.send("AUTH\t5\tLOGIN\tservice=pop3\n")
    assert client.line() == "CONT\t5\t%s" % b64(b"Username:")
    client.send("CONT\t5\t%s\n" % b64(b"alice"))
    assert client.line() == "CONT\t5\t%s" % b64(b"Password:")
    client.send("CONT\t5\t%s\n" % b64(b"secret"))
    assert client.line() == "OK\t5\tuser=alice"


def test_malformed_base64(client):
    client.send("AUTH\t6\tPLAIN\tservice=pop3\tresp=@@not-base64@@\n")
    line = client.line()
    assert line.startswith("FAIL\t6\t") and "reason=" in line
    client.send("AUTH\t7\tLOGIN\tservice=pop3\n")
    client.line()
    client.send("CONT\t7\t####\n")
    assert client.line().startswith("FAIL\t7")


def test_unknown_mechanism(client):
    client.send("AUTH\t8\tNO-SUCH-MECH\tservice=pop3\n")
    assert client.line() == \
        "FAIL\t8\treason=Unsupported authentication mechanism"


def test_long_line_drops_connection(client, auth):
    client.send("AUTH\t9\tPLAIN\tservice=pop3\tresp=" + "A" * 65536 + "\n")
    assert client.closed()
    assert "too long line" in auth.log_text()
    # the server itself is fine
    c = Conn(auth.base / "auth-client")
    assert c.lines_until("DONE")[0] == "VERSION\t1\t2"
    c.close()


def test_cpid_must_match_peer(auth):
    c = Conn(auth.base / "auth-client")
    c.lines_until("DONE")
    c.send("VERSION\t1\t2\nCPID\t1\n")
    assert c.closed()
    c.close()


def test_request_with_cookie(auth, client):
    cookie = [l for l in client.handshake if l.startswith("COOKIE\t")][0][7:]
    client.send("AUTH\t10\tPLAIN\tservice=pop3\tresp=%s\n"
                % b64(b"\0alice\0secret"))
    assert client.line() == "OK\t10\tuser=alice"

    m = Conn(auth.base / "auth-master")
    assert m.line() == "VERSION\t1\t0"
    assert m.line() == "SPID\t%d" % auth.proc.pid
    m.send("VERSION\t1\t0\n")
    wrong = "0" * 32 if cookie != "0" * 32 else "1" * 32
    m.send("REQUEST\t1\t%d\t10\t%s\n" % (os.getpid(), wrong))
    assert m.line().startswith("FAIL\t1\t")
    m.send("REQUEST\t2\t%d\t10\t%s\n" % (os.getpid(), cookie))
    assert m.line() == ("USER\t2\talice\tuid=1000\tgid=1000\thome=/home/alice"
                        "\tquota_rule=*:storage=1G")
    # only once
    m.send("REQUEST\t3\t%d\t10\t%s\n" % (os.getpid(), cookie))
    assert m.line().startswith("FAIL\t3\t")
    m.close()


def test_master_user_pass_list(auth):
    m = Conn(auth.base / "auth-master")
    m.line(), m.line()
    m.send("VERSION\t1\t0\nUSER\t1\tbob\tservice=pop3\n")
    assert m.line() == "USER\t1\tbob\tuid=1001\tgid=1001\thome=/home/bob"
    m.send("USER\t2\tnobody\tservice=pop3\n")
    assert m.line() == "NOTFOUND\t2"
    m.send("PASS\t3\talice\tservice=pop3\n")
    assert m.line() == "PASS\t3\talice"
    m.send("LIST\t4\n")
    users = set()
    while True:
        line = m.line()
        if line.startswith("DONE\t4"):
            assert line == "DONE\t4"
            break
        assert line.startswith("LIST\t4\t")
        users.add(line.split("\t")[2])
    assert users == {"alice", "bob"}
    m.close()


def test_userdb_socket_refuses_request(auth):
    u = Conn(auth.base / "auth-userdb")
    u.line(), u.line()
    u.send("VERSION\t1\t0\nUSER\t1\talice\n")
    assert u.line().startswith("USER\t1\talice\t")
    u.send("PASS\t2\talice\n")
    assert u.closed()
    u.close()


def loftadm(*args, stdin=None):
    binary = BUILD_DIR / "src" / "loftadm"
    if not binary.is_file():
        pytest.skip("loftadm not built")
    return subprocess.run([str(binary)] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=TIMEOUT)


def test_loftadm_auth_test_and_user(auth):
    r = loftadm("-c", str(auth.conf), "auth", "test", "bob", "Secr3t pass")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("passdb: bob auth succeeded\n")
    r = loftadm("-c", str(auth.conf), "auth", "test", "bob", "nope")
    assert r.returncode == 77
    assert r.stdout.startswith("passdb: bob auth failed\n")
    r = loftadm("-c", str(auth.conf), "user", "alice")
    assert r.returncode == 0, r.stderr
    assert "uid\t1000\n" in r.stdout and "home\t/home/alice\n" in r.stdout
    r = loftadm("-c", str(auth.conf), "user", "nobody")
    assert r.returncode == 67


@pytest.mark.parametrize("scheme", ["SHA512-CRYPT", "SSHA256", "BLF-CRYPT",
                                    "ARGON2ID", "PLAIN-MD5"])
def test_loftadm_pw_verifies_in_dovecot(scheme):
    r = loftadm("pw", "-s", scheme, "-p", "pa ss")
    assert r.returncode == 0, r.stderr
    hashed = r.stdout.strip()
    assert hashed.startswith("{%s}" % scheme)
    doveadm = Path("/usr/bin/doveadm")
    if not doveadm.exists():
        pytest.skip("doveadm not installed")
    v = subprocess.run([str(doveadm), "pw", "-t", hashed, "-p", "pa ss"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert v.returncode == 0 and "(verified)" in v.stdout, v.stderr


def test_loftadm_pw_from_stdin():
    r = loftadm("pw", "-s", "SHA256", stdin="Secr3t pass\n")
    assert r.stdout.strip() == \
        "{SHA256}sDRxoWKsqOx/+2s8k3KhIyCcE1IFzYLcIHmlxeeNpnE="
