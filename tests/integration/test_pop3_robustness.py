"""Hostile and broken clients.  Each case expects its protocol answer, and
afterwards the server must still serve another client; the module
server's teardown fails the module if any process logged a crash."""

import pytest

import loftlib
from loftlib import b64, expected_lines, login_retry

LONG = 100 * 1024


@pytest.fixture(autouse=True)
def still_serving(server):
    """After every test: a new client logs in and reads a message."""
    yield
    u = server.users["frank"]
    c = login_retry(server, u)
    try:
        assert c.retr(1)[1] == expected_lines(u.messages[0])
        c.quit()
    finally:
        c.close()


def _capa_ok(r):
    status, lines = r.cmd_multi("CAPA")
    assert status.startswith(b"+OK"), status
    assert any(l.upper().startswith(b"UIDL") for l in lines), lines


@pytest.mark.loft_only
@pytest.mark.parametrize("tls", [False, True])
def test_long_line_before_login(server, tls):
    """A 100 KB line gets one -ERR and the connection stays in sync
    (Dovecot closes the connection instead)."""
    with server.raw(tls=tls) as r:
        r.send(b"USER " + b"a" * LONG + b"\r\n")
        assert r.readline().startswith(b"-ERR")
        _capa_ok(r)
        u = server.users["alice"]
        assert r.cmd("USER " + u.name).startswith(b"+OK")
        assert r.cmd("PASS " + u.password).startswith(b"+OK")
        assert r.cmd("QUIT").startswith(b"+OK")


@pytest.mark.loft_only
def test_long_line_after_login(server):
    u = server.users["bob"]
    with loftlib.connect_retry(lambda: _raw_login(server, u)) as r:
        r.send(b"NOOP " + b"x" * LONG + b"\r\n")
        assert r.readline().startswith(b"-ERR")
        assert r.cmd("NOOP").startswith(b"+OK")
        assert r.cmd("STAT").startswith(b"+OK %d " % len(u.messages))
        assert r.cmd("QUIT").startswith(b"+OK")


def test_long_line_never_crashes(server):
    """Whatever the policy (answer or disconnect), an overlong line gets
    -ERR first and never a +OK."""
    with server.raw() as r:
        r.send(b"PASS " + b"p" * LONG + b"\r\n")
        assert r.readline().startswith(b"-ERR")


@pytest.mark.parametrize("line", [
    b"US\0ER alice", b"\0", b"\0CAPA", b"USER \0alice",
])
def test_nul_bytes_before_login(server, line):
    with server.raw() as r:
        resp = r.cmd(line)
        assert resp.startswith(b"-ERR") or (
            line.startswith(b"USER") and resp.startswith(b"+OK")), resp
        _capa_ok(r)


def test_nul_bytes_after_login(server):
    u = server.users["carol"]
    with server.raw() as r:
        r.login(u.name, u.password)
        assert r.cmd(b"NO\0OP").startswith(b"-ERR")
        assert r.cmd(b"RETR \0" + b"1").startswith(b"-ERR")
        assert r.cmd("NOOP").startswith(b"+OK")
        assert r.cmd("QUIT").startswith(b"+OK")


@pytest.mark.parametrize("line", [
    "FOOBAR", "RETRR 1", "STATX", "CAP", "QUIT2", "HELO example.org", "",
    "GET / HTTP/1.0", "EHLO x",
])
def test_unknown_commands_before_login(server, line):
    with server.raw() as r:
        assert r.cmd(line).startswith(b"-ERR")
        _capa_ok(r)


def test_unknown_and_misspelled_after_login(server):
    u = server.users["dave"]
    with server.raw() as r:
        r.login(u.name, u.password)
        for line in ("FOOBAR", "RETRR 1", "LISTT", "UIDLE", "DELETE 1",
                     "STLS", "AUTH PLAIN"):
            assert r.cmd(line).startswith(b"-ERR"), line
        assert r.cmd("STAT").startswith(b"+OK %d " % len(u.messages))
        assert r.cmd("QUIT").startswith(b"+OK")


@pytest.mark.parametrize("line", [
    "STAT", "LIST", "RETR 1", "TOP 1 0", "DELE 1", "UIDL", "RSET", "NOOP",
    "PASS secret",
])
def test_commands_out_of_state_before_login(server, line):
    with server.raw() as r:
        assert r.cmd(line).startswith(b"-ERR"), line
        _capa_ok(r)


def test_commands_out_of_state_after_login(server):
    u = server.users["erin"]
    with server.raw() as r:
        r.login(u.name, u.password)
        for line in ("USER %s" % u.name, "PASS %s" % u.password,
                     "APOP %s 0123456789abcdef0123456789abcdef" % u.name,
                     "AUTH PLAIN " + b64("\0%s\0%s" % (u.name, u.password))):
            assert r.cmd(line).startswith(b"-ERR"), line
        assert r.cmd("STAT").startswith(b"+OK %d " % len(u.messages))
        assert r.cmd("QUIT").startswith(b"+OK")


@pytest.mark.parametrize("line", [
    "RETR", "RETR 0", "RETR 7", "RETR -1", "RETR abc", "RETR 1x",
    "RETR 99999999999999999999", "RETR 4294967297", "TOP 1", "TOP 1 -1",
    "TOP x 1", "LIST 0", "DELE 0", "DELE 7", "UIDL 0", "LIST 18446744073709551617",
])
def test_bad_arguments_after_login(server, line):
    u = server.users["alice"]
    r = loftlib.connect_retry(lambda: _raw_login(server, u))
    with r:
        assert r.cmd(line).startswith(b"-ERR"), line
        assert r.cmd("STAT").startswith(b"+OK %d " % len(u.messages))
        assert r.cmd("QUIT").startswith(b"+OK")


def _raw_login(server, u):
    import poplib
    r = server.raw()
    assert r.cmd("USER " + u.name).startswith(b"+OK")
    resp = r.cmd("PASS " + u.password)
    if not resp.startswith(b"+OK"):
        r.close()
        raise poplib.error_proto(resp)
    return r


@pytest.mark.parametrize("exchange", [
    ["AUTH PLAIN !!!notbase64"],
    ["AUTH PLAIN", "%%%"],
    ["AUTH LOGIN", "====", ],
    ["AUTH PLAIN " + b64("no-nul-separators")],
    ["AUTH PLAIN " + b64("\0\0")],
    ["AUTH PLAIN " + "A" * 2000],
])
def test_auth_broken_base64(server, exchange):
    with server.raw() as r:
        for step in exchange[:-1]:
            assert r.cmd(step).startswith(b"+")
        resp = r.cmd(exchange[-1])
        assert resp.startswith(b"-ERR"), resp
        _capa_ok(r)
        u = server.users["bob"]
        assert r.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (u.name, u.password))) \
            .startswith(b"+OK")
        assert r.cmd("QUIT").startswith(b"+OK")


def test_many_commands_in_one_packet(server):
    """PIPELINING: answers come back in order."""
    u = server.users["carol"]
    with server.raw() as r:
        r.send("USER %s\r\nPASS %s\r\nSTAT\r\nNOOP\r\nLIST 1\r\nQUIT\r\n"
               % (u.name, u.password))
        lines = [r.readline() for _ in range(6)]
        assert all(l.startswith(b"+OK") for l in lines), lines
        assert lines[2].startswith(b"+OK %d " % len(u.messages))
        assert r.expect_closed() == b""


def test_bare_lf_commands(server):
    """Commands ended by LF alone are accepted (as by Dovecot)."""
    with server.raw() as r:
        r.send("CAPA\n")
        assert r.readline().startswith(b"+OK")
        r.read_multiline()
        assert r.cmd("NOOP_ISNT_VALID_HERE").startswith(b"-ERR")


def test_garbage_instead_of_tls_handshake(server):
    """Plaintext on the implicit-TLS port: the server sends nothing that
    looks like POP3 and closes the connection."""
    import socket
    s = socket.create_connection((server.host, server.port("pop3s")),
                                 timeout=loftlib.IO_TIMEOUT)
    try:
        s.sendall(b"USER alice\r\nPASS x\r\n" * 20)
        got = b""
        while True:
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                break
            if not data:
                break
            got += data
        assert b"+OK" not in got
    finally:
        s.close()


def test_tls_handshake_on_plain_port(server):
    """A TLS ClientHello on the plain port is answered with -ERR lines or a
    close, and the port keeps serving."""
    import socket
    import ssl
    s = socket.create_connection((server.host, server.port("pop3")),
                                 timeout=loftlib.IO_TIMEOUT)
    try:
        greeting = s.recv(1024)
        assert greeting.startswith(b"+OK")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with pytest.raises((ssl.SSLError, OSError)):
            ctx.wrap_socket(s, server_hostname="localhost")
    finally:
        s.close()


# ----------------------------------------------------------- idle timeout ---

# Loft's own settings (doc/configuration.md): login_timeout before login,
# client_idle_timeout after it.  Dovecot has no such settings, and its
# compiled-in timeouts are minutes long.
IDLE_SETTING = {"greeting": "login_timeout", "half-line": "login_timeout",
                "after-login": "client_idle_timeout"}


@pytest.mark.loft_only
@pytest.mark.parametrize("when", ["greeting", "half-line", "after-login"])
def test_idle_client_is_disconnected(server_factory, when):
    srv = server_factory.start(extra=["%s = 1s" % IDLE_SETTING[when]])
    u = srv.users["alice"]
    r = srv.raw()
    if when == "half-line":
        r.send("USER ali")
    elif when == "after-login":
        r.login(u.name, u.password)
    # The socket timeout (IO_TIMEOUT) is only a safety net; the server must
    # close first.
    rest = r.expect_closed()
    for line in rest.split(b"\r\n"):
        assert line == b"" or line.startswith(b"-ERR"), rest
    r.close()
    c = login_retry(srv, u)
    assert c.stat()[0] == len(u.messages)
    c.quit()
    c.close()
