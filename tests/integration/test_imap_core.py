"""The IMAP session core, through the login process: the tagged "Logged
in" with CAPABILITY over plain, STARTTLS and TLS; NOOP, CHECK, ID, ENABLE,
NAMESPACE; LOGOUT and its log line; pipelining; a client that never reads;
IDLE seeing a delivery and an expunge made by others; BAD for unknown
commands and the wrong state; the user+IP connection limit."""

import imaplib
import os
import re
import socket
import ssl
import time

import pytest

import loftlib
from loftlib import IO_TIMEOUT

DEADLINE = 10.0

pytestmark = pytest.mark.loft_only


@pytest.fixture(scope="module")
def imap_server(module_factory):
    return module_factory.start(
        ports=("imap", "imaps"), plaintext=True,
        extra=["mail_max_userip_connections = 3"])


class RawImap:
    """A line-level IMAP client over a plain socket."""

    def __init__(self, host, port, tls_context=None):
        self.sock = socket.create_connection((host, port), timeout=IO_TIMEOUT)
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(self.sock,
                                                server_hostname="localhost")
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def readline(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed; buffered %r" % self.buf)
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def until_tagged(self, tag):
        """Lines up to and with the tagged reply of tag."""
        lines = []
        while True:
            line = self.readline()
            lines.append(line)
            if line.startswith(tag.encode() + b" "):
                return lines

    def cmd(self, tag, text):
        self.send(("%s %s\r\n" % (tag, text)).encode())
        return self.until_tagged(tag)


def raw_login(server, user, tls=False):
    port = server.port("imaps" if tls else "imap")
    r = RawImap(server.host, port,
                tls_context=server.ssl_context() if tls else None)
    greeting = r.readline()
    assert greeting.startswith(b"* OK"), greeting
    if not tls:
        # plaintext auth is refused without TLS: use STARTTLS
        r.cmd("s", "STARTTLS")
        r.sock = server.ssl_context().wrap_socket(
            r.sock, server_hostname="localhost")
    lines = r.cmd("l1", 'LOGIN "%s" "%s"' % (user.name, user.password))
    return r, lines


def login_retry(server, user, mode="plain"):
    return loftlib.connect_retry(lambda: server.imap_login(user, mode))


def wait_for(predicate, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail("timed out waiting for %s" % what)


def post_login_caps(lines):
    last = lines[-1].decode()
    m = re.match(r"l1 OK \[CAPABILITY ([^\]]*)\] Logged in", last)
    assert m, lines
    return m.group(1).split()


@pytest.mark.parametrize("mode", ["plain", "starttls", "ssl"])
def test_login_modes(imap_server, mode):
    u = imap_server.users["alice"]
    c = login_retry(imap_server, u, mode)
    try:
        assert c.state == "AUTH"
        typ, _ = c.noop()
        assert typ == "OK"
    finally:
        c.logout()


def test_logged_in_capability(imap_server):
    u = imap_server.users["alice"]
    r, lines = loftlib.connect_retry(lambda: raw_login(imap_server, u))
    with r:
        caps = post_login_caps(lines)
        for cap in ("IMAP4rev1", "IDLE", "NAMESPACE", "ID", "ENABLE",
                    "UNSELECT", "UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC",
                    "LITERAL+"):
            assert cap in caps, caps
        assert not any(c.startswith("AUTH=") for c in caps), caps
        assert "STARTTLS" not in caps and "LOGINDISABLED" not in caps
        # CAPABILITY says the same
        out = r.cmd("c", "CAPABILITY")
        assert out[0].decode() == "* CAPABILITY " + " ".join(caps)
        assert out[-1].startswith(b"c OK")


def test_simple_commands(imap_server):
    u = imap_server.users["bob"]
    r, _ = loftlib.connect_retry(lambda: raw_login(imap_server, u))
    with r:
        assert r.cmd("a", "NOOP")[-1].startswith(b"a OK")
        ns = r.cmd("b", "NAMESPACE")
        assert ns[0] == b'* NAMESPACE (("" ".")) NIL NIL', ns
        assert ns[-1].startswith(b"b OK")
        idr = r.cmd("c", 'ID ("name" "pytest" "version" "1")')
        assert idr[0].startswith(b'* ID ("name" "Loft"'), idr
        assert idr[-1].startswith(b"c OK")
        assert r.cmd("d", "ID NIL")[-1].startswith(b"d OK")
        assert r.cmd("e", "ID (\"name\")")[-1].startswith(b"e BAD")
        en = r.cmd("f", "ENABLE CONDSTORE XUNKNOWN")
        assert en[0] == b"* ENABLED CONDSTORE", en
        assert en[-1].startswith(b"f OK")
        # enabling twice lists nothing new
        assert r.cmd("g", "ENABLE condstore")[0] == b"* ENABLED"
        # QRESYNC implies CONDSTORE (RFC 7162 section 3.2.3)
        assert r.cmd("h", "ENABLE QRESYNC")[0] == b"* ENABLED QRESYNC"


def test_bad_commands_and_state(imap_server):
    u = imap_server.users["carol"]
    r, _ = loftlib.connect_retry(lambda: raw_login(imap_server, u))
    with r:
        out = r.cmd("a", "XYZZY")
        assert out[-1] == b"a BAD Error in IMAP command XYZZY: " \
                          b"Unknown command.", out
        assert r.cmd("b", "CHECK")[-1] == b"b BAD No mailbox selected."
        assert r.cmd("c", "FETCH 1 FLAGS")[-1] == \
            b"c BAD No mailbox selected."
        assert r.cmd("d", "UID NOOP")[-1].startswith(b"d BAD")
        assert r.cmd("e", "LOGIN a b")[-1].startswith(b"e BAD")
        assert r.cmd("f", "AUTHENTICATE PLAIN")[-1].startswith(b"f BAD")
        assert r.cmd("g", "NOOP")[-1].startswith(b"g OK")


def test_too_many_bad_commands(imap_server):
    u = imap_server.users["carol"]
    r, _ = loftlib.connect_retry(lambda: raw_login(imap_server, u))
    with r:
        r.send(b"".join(b"b%d XYZZY\r\n" % i for i in range(40)))
        lines = []
        with pytest.raises((EOFError, ConnectionResetError)):
            while True:
                lines.append(r.readline())
        assert any(l.startswith(b"* BYE") for l in lines), lines
        assert sum(1 for l in lines if b" BAD " in l) < 40


def test_logout_and_log_line(imap_server):
    u = imap_server.users["dave"]
    r, _ = loftlib.connect_retry(lambda: raw_login(imap_server, u))
    with r:
        out = r.cmd("z", "LOGOUT")
        assert out[0] == b"* BYE Logging out", out
        assert out[-1].startswith(b"z OK")
        with pytest.raises(EOFError):
            r.readline()
    pat = re.compile(r"imap\(dave\)<\d+><[^>]*>: Info: Disconnected: "
                     r"Logged out in=\d+ out=\d+ deleted=0 expunged=0")
    wait_for(lambda: pat.search(imap_server.log_text()), "the logout line")


def test_pipelining_10000_noops(imap_server):
    u = imap_server.users["erin"]
    r, _ = loftlib.connect_retry(lambda: raw_login(imap_server, u))
    with r:
        data = b"".join(b"n%d NOOP\r\n" % i for i in range(10000))
        data += b"last LOGOUT\r\n"
        # send from the start while reading, so neither side blocks
        r.sock.settimeout(IO_TIMEOUT)
        sent = 0
        oks = 0
        r.sock.setblocking(False)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if sent < len(data):
                try:
                    sent += r.sock.send(data[sent:sent + 65536])
                except (BlockingIOError, ssl.SSLWantWriteError):
                    pass
            try:
                chunk = r.sock.recv(65536)
                if not chunk:
                    break
                r.buf += chunk
            except (BlockingIOError, ssl.SSLWantReadError):
                time.sleep(0.001)
        lines = r.buf.split(b"\r\n")
        oks = [l for l in lines if re.match(rb"n\d+ OK", l)]
        assert len(oks) == 10000
        assert oks[0].startswith(b"n0 ") and oks[-1].startswith(b"n9999 ")
        assert any(l.startswith(b"last OK") for l in lines)


def test_client_that_never_reads(server_factory):
    """A client pipelining forever without reading fills the output buffer
    and is disconnected; others are still served meanwhile."""
    srv = server_factory.start(ports=("imap", "imaps"),
                               extra=["client_idle_timeout = 2 secs"])
    u = srv.users["alice"]
    r, _ = loftlib.connect_retry(lambda: raw_login(srv, u))
    with r:
        r.sock.settimeout(1)
        line = b"x CAPABILITY\r\n" * 1000
        closed = False
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                r.sock.sendall(line)
            except (socket.timeout, ssl.SSLWantWriteError):
                # the server stopped reading: check others meanwhile
                c = login_retry(srv, srv.users["bob"], "ssl")
                assert c.noop()[0] == "OK"
                c.logout()
                if re.search(r"imap\(alice\).*Disconnected",
                             srv.log_text()):
                    closed = True
                    break
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                closed = True
                break
        assert closed
    wait_for(lambda: re.search(r"imap\(alice\).*Disconnected",
                               srv.log_text()), "alice's disconnect")


def _deliver(user, name, body=b"Subject: new\r\n\r\nhello\r\n"):
    maildir = user.home / "Maildir"
    tmp = maildir / "tmp" / name
    tmp.write_bytes(body)
    os.rename(tmp, maildir / "new" / name)


def test_idle_sees_delivery_and_expunge(server_factory):
    srv = server_factory.start(ports=("imap", "imaps"))
    u = srv.users["alice"]
    r, _ = loftlib.connect_retry(lambda: raw_login(srv, u))
    with r:
        sel = r.cmd("s", "SELECT INBOX")
        if sel[-1].startswith(b"s BAD"):
            pytest.skip("SELECT is not implemented yet")
        assert sel[-1].startswith(b"s OK"), sel
        exists = [int(l.split()[1]) for l in sel if l.endswith(b" EXISTS")]
        n = exists[0]
        r.send(b"i IDLE\r\n")
        assert r.readline() == b"+ idling"
        # a delivery by another process
        _deliver(u, "1800000000.M1P1.test")
        r.sock.settimeout(DEADLINE)
        line = r.readline()
        while not line.endswith(b"EXISTS"):
            line = r.readline()
        assert line == b"* %d EXISTS" % (n + 1)
        # a message file deleted by hand
        cur = sorted((u.home / "Maildir" / "cur").iterdir())
        cur[0].unlink()
        line = r.readline()
        while not line.endswith(b"EXPUNGE"):
            line = r.readline()
        assert line == b"* 1 EXPUNGE"
        # an expunge by another session
        c = login_retry(srv, u, "ssl")
        try:
            c.select("INBOX")
            typ, data = c.store("1", "+FLAGS", "\\Deleted")
            c.expunge()
            c.logout()
        except imaplib.IMAP4.error as e:
            if "Not implemented" in str(e):
                pytest.skip("STORE or EXPUNGE is not implemented yet")
            raise
        line = r.readline()
        while not line.endswith(b"EXPUNGE"):
            line = r.readline()
        assert line == b"* 1 EXPUNGE"
        r.send(b"DONE\r\n")
        out = r.until_tagged("i")
        assert out[-1].startswith(b"i OK"), out


def test_idle_done_and_bad(imap_server):
    u = imap_server.users["frank"]
    r, _ = loftlib.connect_retry(lambda: raw_login(imap_server, u))
    with r:
        r.send(b"i IDLE\r\n")
        assert r.readline() == b"+ idling"
        r.send(b"DONE\r\n")
        assert r.readline().startswith(b"i OK")
        r.send(b"j IDLE\r\n")
        assert r.readline() == b"+ idling"
        r.send(b"NOOP\r\n")
        assert r.readline().startswith(b"j BAD")
        # pipelined IDLE + DONE
        r.send(b"k IDLE\r\nDONE\r\nl NOOP\r\n")
        assert r.readline() == b"+ idling"
        assert r.readline().startswith(b"k OK")
        assert r.readline().startswith(b"l OK")


def test_idle_still_here(server_factory):
    srv = server_factory.start(ports=("imap", "imaps"),
                               extra=["imap_idle_notify_interval = 1 secs"])
    u = srv.users["alice"]
    r, _ = loftlib.connect_retry(lambda: raw_login(srv, u))
    with r:
        r.send(b"i IDLE\r\n")
        assert r.readline() == b"+ idling"
        r.sock.settimeout(DEADLINE)
        assert r.readline() == b"* OK Still here"
        r.send(b"DONE\r\n")
        assert r.readline().startswith(b"i OK")


def test_max_userip_connections(imap_server):
    u = imap_server.users["dave"]
    conns = []
    try:
        for _ in range(3):
            r, lines = loftlib.connect_retry(
                lambda: raw_login(imap_server, u))
            conns.append(r)
            assert lines[-1].startswith(b"l1 OK"), lines
        r = RawImap(imap_server.host, imap_server.port("imaps"),
                    tls_context=imap_server.ssl_context())
        conns.append(r)
        assert r.readline().startswith(b"* OK")
        r.send(b'l1 LOGIN "%s" "%s"\r\n' % (u.name.encode(),
                                             u.password.encode()))
        lines = []
        with pytest.raises(EOFError):
            while True:
                lines.append(r.readline())
        assert b"* BYE Maximum number of connections from user+IP " \
               b"exceeded (mail_max_userip_connections=3)" in lines, lines
    finally:
        for r in conns:
            r.close()
    # a slot is free again once the others are gone
    wait_for(lambda: _can_login(imap_server, u), "a free slot")


def _can_login(server, user):
    r, lines = raw_login(server, user)
    with r:
        return lines[-1].startswith(b"l1 OK")
