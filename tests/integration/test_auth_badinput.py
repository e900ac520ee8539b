"""Bad input to authentication, through POP3 and through the auth socket:
NUL bytes and invalid UTF-8 in user names, user names with characters a
driver could interpret (quotes, wildcards, %, path separators, control
characters) while auth_username_chars is empty, clients that disconnect
in the middle of a SASL exchange, a 64 KB SASL response and malformed
base64 in a continuation.  Each refusal must look like a wrong password
and the servers must keep serving.  Leaks of abandoned requests show up
under the ASan build, where auth's exit status is checked."""

import base64
import os
import socket

import pytest

import loftlib
from pop3client import RawPop3
from test_auth_chain import TIMEOUT, USERS, USERDB, passdb, start  # noqa: F401

pytestmark = pytest.mark.loft_only

NO_DELAY = ["auth_failure_delay = 0",
            "login_trusted_networks = 127.0.0.0/8"]


def b64(data):
    return base64.b64encode(data).decode()


# ------------------------------------------------------- through POP3 ---

@pytest.fixture(scope="module")
def srv(module_factory):
    return module_factory.start(mechanisms="plain login scram-sha-256",
                                plaintext=True,
                                extra=NO_DELAY + ["auth_verbose = yes"])


def connect(srv):
    return RawPop3(srv.host, srv.port("pop3"))


def plain(user, password):
    return b64(b"\0" + user + b"\0" + password)


def wrong_password_answer(srv):
    with connect(srv) as c:
        return c.cmd("AUTH PLAIN " + plain(b"alice", b"wrong"))


@pytest.mark.parametrize("name", [
    b"ali\0ce", b"alice\0", b"\xffalice", b"al\xc3ice", b"\xc0\xafetc",
    b"alice\x01", b"al\tice"])
def test_pop3_bad_user_names_like_wrong_password(srv, name):
    expected = wrong_password_answer(srv)
    assert expected.startswith(b"-ERR")
    with connect(srv) as c:
        assert c.cmd("AUTH PLAIN " + plain(
            name, srv.users["alice"].password.encode())) == expected
    with connect(srv) as c:
        assert c.cmd("AUTH LOGIN").startswith(b"+")
        assert c.cmd(b64(name)).startswith(b"+")
        assert c.cmd(b64(srv.users["alice"].password.encode())) == expected
    # the server keeps serving
    with connect(srv) as c:
        assert c.cmd("AUTH PLAIN " + plain(
            b"alice", srv.users["alice"].password.encode())
        ).startswith(b"+OK")


def test_pop3_64k_sasl_response(srv):
    with connect(srv) as c:
        assert c.cmd("AUTH PLAIN").startswith(b"+")
        resp = c.cmd(b64(b"\0alice\0" + b"x" * 65536))
        assert resp.startswith(b"-ERR"), resp
    with connect(srv) as c:
        resp = c.cmd("AUTH PLAIN " + b64(b"\0alice\0" + b"x" * 65536))
        assert resp.startswith(b"-ERR"), resp
    with connect(srv) as c:
        assert c.cmd("AUTH PLAIN " + plain(
            b"alice", srv.users["alice"].password.encode())
        ).startswith(b"+OK")


@pytest.mark.parametrize("garbage", ["!!!!", "YWxp=Y2U=", "YWx", "*",
                                     "Zm9v\x01"])
def test_pop3_malformed_base64(srv, garbage):
    with connect(srv) as c:
        assert c.cmd("AUTH LOGIN").startswith(b"+")
        assert c.cmd(garbage).startswith(b"-ERR")
        # the connection is usable after the failure
        assert c.cmd("AUTH PLAIN " + plain(
            b"alice", srv.users["alice"].password.encode())
        ).startswith(b"+OK")
    with connect(srv) as c:
        assert c.cmd("AUTH PLAIN " + garbage).startswith(b"-ERR")


def test_pop3_disconnect_mid_exchange(srv):
    for _ in range(5):
        c = connect(srv)
        assert c.cmd("AUTH LOGIN").startswith(b"+")
        assert c.cmd(b64(b"alice")).startswith(b"+")
        c.close()
        c = connect(srv)
        assert c.cmd("AUTH SCRAM-SHA-256").startswith(b"+")
        assert c.cmd(b64(b"n,,n=alice,r=abcdefghijklmnop")).startswith(b"+")
        c.close()
    with connect(srv) as c:
        assert c.cmd("AUTH PLAIN " + plain(
            b"alice", srv.users["alice"].password.encode())
        ).startswith(b"+OK")


# --------------------------------------------- through the auth socket ---

class Session:
    """One auth-client connection speaking the protocol by hand."""

    def __init__(self, srv):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(str(srv.base / "auth-client"))
        self.buf = b""
        self.send("VERSION\t1\t2\nCPID\t%d\n" % os.getpid())

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def line(self, prefixes):
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                line = line.decode(errors="replace")
                if line.startswith(prefixes):
                    return line
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("auth closed the connection")
            self.buf += data

    def answer(self, rid):
        return self.line(("OK\t%d\t" % rid, "FAIL\t%d" % rid,
                          "CONT\t%d\t" % rid))

    def close(self):
        self.sock.close()


def auth_plain(s, rid, user, password):
    s.send("AUTH\t%d\tPLAIN\tservice=pop3\trip=127.0.0.1\tresp=%s\n"
           % (rid, b64(b"\0" + user + b"\0" + password)))
    return s.answer(rid)


DRIVER_USERS = USERS + "carol:{PLAIN}carolpw\n"


def test_socket_bad_user_names_never_reach_the_driver(start):
    # passwd-file with %u in its path: a name with '/' or '..' would
    # otherwise pick another file
    # trusted: no per-IP penalty, so thirteen failures in a row stay fast
    srv = start("auth_username_chars =\n"
                "login_trusted_networks = 127.0.0.0/8\n" +
                passdb("users") +
                passdb("per-user.%u", "  result_internalfail = return-fail\n")
                + USERDB,
                {"users": DRIVER_USERS, "per-user.x": "x:{PLAIN}xpw\n"})
    os.mkdir(srv.dir / "sub")
    (srv.dir / "sub" / "evil").write_text("../sub/evil:{PLAIN}evilpw\n")
    s = Session(srv)
    try:
        wrong = auth_plain(s, 1, b"alice", b"wrong")
        assert wrong.startswith("FAIL\t1"), wrong
        bad = [b"al\0ice", b"\xffalice", b"x\x01", b"a*", b"a%u", b"a\"b",
               b"a'b", b"a\\b", b"../sub/evil", b"sub/evil", b"..", b"."]
        for i, name in enumerate(bad, start=2):
            line = auth_plain(s, i, name, b"evilpw")
            assert line.startswith("FAIL\t%d" % i), (name, line)
            # same answer as a wrong password (apart from the user name)
            assert "\ttemp" not in line
        # an empty auth_username_chars still allows other characters
        assert auth_plain(s, 50, b"x", b"xpw").startswith("OK\t50\t")
        assert auth_plain(s, 51, b"alice", b"alicepw").startswith("OK\t51")
    finally:
        s.close()
    log = srv.log_text()
    # nothing reached the per-user passdb with a path in the name
    assert "per-user.." not in log and "per-user.sub" not in log
    assert "Username character disallowed" in log
    assert "Username contains control characters" in log


def test_socket_disconnect_mid_exchange(start):
    srv = start("auth_mechanisms = plain login scram-sha-256\n" +
                passdb("users") + USERDB, {"users": USERS})
    for round_ in range(10):
        s = Session(srv)
        s.send("AUTH\t1\tLOGIN\tservice=pop3\n")
        assert s.answer(1).startswith("CONT\t1\t")
        s.send("CONT\t1\t%s\n" % b64(b"alice"))
        assert s.answer(1).startswith("CONT\t1\t")
        s.send("AUTH\t2\tSCRAM-SHA-256\tservice=pop3\tresp=%s\n"
               % b64(b"n,,n=alice,r=abcdefghijklmnop"))
        assert s.answer(2).startswith("CONT\t2\t")
        s.close()
    s = Session(srv)
    try:
        assert auth_plain(s, 1, b"alice", b"alicepw").startswith("OK\t1\t")
    finally:
        s.close()


def test_socket_malformed_base64_and_huge_response(start):
    srv = start(passdb("users") + USERDB, {"users": USERS})
    s = Session(srv)
    try:
        s.send("AUTH\t1\tLOGIN\tservice=pop3\n")
        assert s.answer(1).startswith("CONT\t1\t")
        s.send("CONT\t1\t!!notbase64!!\n")
        assert s.answer(1).startswith("FAIL\t1")
        s.send("AUTH\t2\tPLAIN\tservice=pop3\tresp=%s\n"
               % b64(b"\0alice\0" + b"x" * 65536))
        assert s.answer(2).startswith("FAIL\t2")
    except (EOFError, ConnectionResetError, BrokenPipeError):
        # dropping a peer that sent an oversized line is fine too
        pass
    finally:
        s.close()
    s = Session(srv)
    try:
        assert auth_plain(s, 3, b"alice", b"alicepw").startswith("OK\t3\t")
    finally:
        s.close()
