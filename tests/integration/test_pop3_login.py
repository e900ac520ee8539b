"""pop3-login in isolation: the real pop3-login binary between a real
POP3 client (plain, STLS, implicit TLS) and small in-test peers standing in
for the auth process (auth-client protocol) and the pop3 mail service
(hand-off socket). Checks the replies, the hand-off line, leftover input,
the TLS proxy and the log lines."""

import array
import base64
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest

import loftlib

pytestmark = pytest.mark.loft_only

POP3_LOGIN = loftlib.BUILD_DIR / "src" / "libexec" / "pop3-login"
COOKIE = "0123456789abcdef0123456789abcdef"


class Peers:
    """Fake auth server and mail service on base_dir's sockets."""

    def __init__(self, run):
        self.run = run
        self.handoffs = []
        self.socks = []
        os.makedirs(os.path.join(run, "login"), exist_ok=True)
        for path, fn in ((os.path.join(run, "login", "login"), self._auth_conn),
                         (os.path.join(run, "login", "pop3"), self._mail_conn)):
            s = socket.socket(socket.AF_UNIX)
            s.bind(path)
            os.chmod(path, 0o666)
            s.listen(16)
            self.socks.append(s)
            threading.Thread(target=self._accept, args=(s, fn),
                             daemon=True).start()

    def _accept(self, s, fn):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=fn, args=(c,), daemon=True).start()

    def _auth_conn(self, c):
        c.sendall(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\n"
                  b"MECH\tLOGIN\tplaintext\nSPID\t99\nCUID\t1\n"
                  b"COOKIE\t" + COOKIE.encode() + b"\nDONE\n")
        state = {}
        for raw in c.makefile("rb"):
            a = raw.decode().rstrip("\n").split("\t")
            if a[0] == "AUTH":
                rid, mech = a[1], a[2]
                fields = dict(x.split("=", 1) if "=" in x else (x, "")
                              for x in a[3:])
                if mech == "PLAIN" and "resp" not in fields:
                    c.sendall(("CONT\t%s\t\n" % rid).encode())
                elif mech == "PLAIN":
                    _, u, p = base64.b64decode(fields["resp"]).split(b"\0")
                    verdict = "OK" if p == b"secret" else "FAIL"
                    c.sendall(("%s\t%s\tuser=%s\n"
                               % (verdict, rid, u.decode())).encode())
                elif mech == "LOGIN":
                    state[rid] = []
                    c.sendall(("CONT\t%s\tVXNlcm5hbWU6\n" % rid).encode())
            elif a[0] == "CONT":
                rid = a[1]
                state[rid].append(base64.b64decode(a[2]))
                if len(state[rid]) == 1:
                    c.sendall(("CONT\t%s\tUGFzc3dvcmQ6\n" % rid).encode())
                else:
                    c.sendall(("FAIL\t%s\ttemp\treason=Try later\n"
                               % rid).encode())

    def _mail_conn(self, c):
        fds = array.array("i")
        msg, anc, _, _ = c.recvmsg(65536, socket.CMSG_LEN(4))
        for _, _, data in anc:
            fds.frombytes(data[:4])
        while not msg.endswith(b"\n"):
            msg += c.recv(65536)
        fields = msg.decode().rstrip("\n").split("\t")
        self.handoffs.append(fields)
        c.sendall(b"OK\t4321\n")
        c.close()
        cs = socket.socket(fileno=fds[0])
        cs.setblocking(True)
        data = base64.b64decode(fields[10]) if fields[10] else b""
        cs.sendall(b"+OK Logged in.\r\n")
        while True:
            while b"\n" in data:
                line, data = data.split(b"\n", 1)
                if line.strip().upper() == b"QUIT":
                    cs.sendall(b"+OK Bye\r\n")
                    cs.close()
                    return
                cs.sendall(b"-ERR echo " + line.strip() + b"\r\n")
            r = cs.recv(4096)
            if not r:
                cs.close()
                return
            data += r

    def close(self):
        for s in self.socks:
            s.close()


@pytest.fixture
def login(tmp_path):
    if not POP3_LOGIN.exists():
        pytest.fail("pop3-login not built at %s" % POP3_LOGIN, pytrace=False)
    os.chmod(tmp_path, 0o755)
    run = str(tmp_path / "run")
    os.makedirs(run, mode=0o755)
    cert, key = loftlib.make_cert(tmp_path)
    os.chmod(key, 0o644)
    conf = tmp_path / "loft.conf"
    log = tmp_path / "loft.log"
    conf.write_text("\n".join([
        "protocols = pop3", "listen = 127.0.0.1", "base_dir = %s" % run,
        "ssl = yes", "ssl_cert = <%s" % cert, "ssl_key = <%s" % key,
        "disable_plaintext_auth = yes", "auth_mechanisms = plain login",
        "log_path = %s" % log,
        "passdb {", "  driver = static", "  args = password=x", "}",
        "userdb {", "  driver = static", "  args = uid=1 gid=1 home=/tmp", "}",
        "mail_location = maildir:~/Maildir", ""]))
    peers = Peers(run)
    l1 = socket.socket()
    l1.bind(("127.0.0.1", 0))
    l1.listen(16)
    l2 = socket.socket()
    l2.bind(("127.0.0.1", 0))
    l2.listen(16)
    fa, fb = l1.fileno(), l2.fileno()
    env = dict(os.environ, LOFT_CONFIG=str(conf),
               LOFT_LISTENERS="pop3:3 pop3s:4:ssl", LOFT_SERVICE="pop3-login")
    proc = subprocess.Popen(
        ["bash", "-c", "exec 3<&%d 4<&%d %d<&- %d<&-; exec %s"
         % (fa, fb, fa, fb, POP3_LOGIN)],
        env=env, pass_fds=(fa, fb), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    class L:
        pass
    x = L()
    x.plain_port = l1.getsockname()[1]
    x.ssl_port = l2.getsockname()[1]
    x.ctx, x.peers, x.log = ctx, peers, log
    yield x
    proc.terminate()
    proc.wait(timeout=10)
    l1.close()
    l2.close()
    peers.close()


def talk(f, sock, lines):
    out = []
    for line in lines:
        if line is not None:
            sock.sendall(line.encode("latin-1") + b"\r\n")
        resp = f.readline().decode("latin-1").rstrip("\r\n")
        out.append(resp)
        if line and line.upper() in ("CAPA", "AUTH") and resp == "+OK":
            while True:
                r = f.readline().decode().rstrip("\r\n")
                out.append(r)
                if r == ".":
                    break
    return out


def wait_log(login, text):
    for _ in range(100):
        if login.log.exists() and text in login.log.read_text():
            return login.log.read_text()
        time.sleep(0.05)
    raise AssertionError("%r not logged:\n%s" % (
        text, login.log.read_text() if login.log.exists() else ""))


CAPA = ["+OK", "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING",
        "AUTH-RESP-CODE"]


def test_plain_session(login):
    s = socket.create_connection(("127.0.0.1", login.plain_port))
    f = s.makefile("rb")
    out = talk(f, s, [None, "CAPA", "NOOP", "USER bob", "PASS bad", "AUTH",
                      "AUTH LOGIN", "Ym9i", "YmFk", "AUTH PLAIN", "*",
                      "user bob", "pass secret", "LIST", "QUIT"])
    assert out == ["+OK Loft ready."] + CAPA + [
        "STLS", "USER", "SASL PLAIN LOGIN", ".",
        "-ERR Unknown command.", "+OK",
        "-ERR [AUTH] Authentication failed.",
        "+OK", "PLAIN", "LOGIN", ".",
        "+ VXNlcm5hbWU6", "+ UGFzc3dvcmQ6", "-ERR [SYS/TEMP] Try later",
        "+ ", "-ERR Authentication aborted by client.",
        "+OK", "+OK Logged in.", "-ERR echo LIST", "+OK Bye"]
    s.close()
    text = wait_log(login, "Login: user=<bob>, method=PLAIN")
    assert "mpid=4321, secured, session=<" in text
    h = login.peers.handoffs[-1]
    assert h[0] == "LOGIN" and h[3] == COOKIE and h[9] == "secured"


def test_stls_and_proxy(login):
    s = socket.create_connection(("127.0.0.1", login.plain_port))
    f = s.makefile("rb")
    # Input pipelined after STLS is discarded (RFC 2595).
    s.sendall(b"STLS\r\nCAPA\r\n")
    assert f.readline() == b"+OK Loft ready.\r\n"
    assert f.readline() == b"+OK Begin TLS negotiation now.\r\n"
    t = login.ctx.wrap_socket(s, server_hostname="localhost")
    f = t.makefile("rb")
    out = talk(f, t, ["CAPA", "STLS", "USER bob", "PASS secret", "LIST",
                      "QUIT"])
    assert out == CAPA + ["USER", "SASL PLAIN LOGIN", ".",
                          "-ERR TLS is already active.", "+OK",
                          "+OK Logged in.", "-ERR echo LIST", "+OK Bye"]
    t.close()
    wait_log(login, "mpid=4321, TLS, session=<")
    assert login.peers.handoffs[-1][9] == "secured,tls"


def test_implicit_tls_pipelined(login):
    t = login.ctx.wrap_socket(
        socket.create_connection(("127.0.0.1", login.ssl_port)),
        server_hostname="localhost")
    t.sendall(b"USER bob\r\nPASS secret\r\nSTAT\r\nQUIT\r\n")
    f = t.makefile("rb")
    got = [f.readline() for _ in range(5)]
    assert got == [b"+OK Loft ready.\r\n", b"+OK\r\n",
                   b"+OK Logged in.\r\n", b"-ERR echo STAT\r\n",
                   b"+OK Bye\r\n"]
    t.close()
    assert base64.b64decode(login.peers.handoffs[-1][10]) == \
        b"STAT\r\nQUIT\r\n"


def test_bad_input(login):
    s = socket.create_connection(("127.0.0.1", login.plain_port))
    f = s.makefile("rb")
    out = talk(f, s, [None, "X" * 9000, "A\0B", "QUIT"])
    assert out == ["+OK Loft ready.", "-ERR Input line too long.",
                   "-ERR Invalid characters in command.", "+OK Logging out"]
    s.close()
    wait_log(login, "Aborted login by logging out (no auth attempts in ")
    s = socket.create_connection(("127.0.0.1", login.plain_port))
    f = s.makefile("rb")
    out = talk(f, s, [None] + ["FOO"] * 10)
    assert out[1:] == ["-ERR Unknown command."] * 10
    assert f.readline() == b"-ERR Too many invalid commands.\r\n"
    assert f.readline() == b""
    s.close()
    wait_log(login, "Disconnected: Too many invalid commands (no auth attempts")
