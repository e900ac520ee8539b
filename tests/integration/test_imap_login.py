"""imap-login: the IMAP greeting and the commands before login, as a
client sees them on the wire, compared with Debian's Dovecot where the
shape matters: CAPABILITY, NOOP, ID, ENABLE, LOGOUT, STARTTLS, implicit
TLS, LOGIN and AUTHENTICATE PLAIN (with and without SASL-IR), bad
commands, LOGINDISABLED from a non-loopback address, and memory that
stays bounded whatever a client sends before logging in."""

import os
import re
import socket
import ssl
import textwrap
import threading
from pathlib import Path

import pytest

import procs
from conftest import SERVER_KIND
from netnslib import netns  # noqa: F401 (the fixture)
from netnslib import SERVER_IP, run_client, start_server_in
from loftlib import BUILD_DIR, IO_TIMEOUT, b64

IMAP_PORTS = ("imap", "imaps")
AUTH_FAILED = "NO [AUTHENTICATIONFAILED] Authentication failed."
BAD_COMMAND = "BAD Error in IMAP command received by server."


def _libexec_dir():
    return Path(os.environ.get("LOFT_LIBEXEC_DIR")
                or BUILD_DIR / "src" / "libexec")


@pytest.fixture(scope="module", autouse=True)
def require_imap_service():
    """The master refuses `protocols = imap` without the imap binary."""
    if SERVER_KIND == "loft" and not (_libexec_dir() / "imap").exists():
        pytest.skip("the imap mail service is not built in %s"
                    % _libexec_dir())


@pytest.fixture(scope="module")
def srv(module_factory):
    return module_factory.start(ports=IMAP_PORTS)


@pytest.fixture(scope="module")
def dovecot(module_factory):
    return module_factory.start(kind="dovecot", ports=IMAP_PORTS)


@pytest.fixture
def alice(srv):
    return srv.users["alice"]


class Imap:
    """A raw IMAP connection: lines as str, nothing interpreted."""

    def __init__(self, server, tls=False, port=None):
        if port is None:
            port = server.port("imaps" if tls else "imap")
        self.server = server
        s = socket.create_connection((server.host, port), timeout=IO_TIMEOUT)
        self.sock = server.ssl_context().wrap_socket(
            s, server_hostname="localhost") if tls else s
        self.f = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self):
        data = self.f.readline()
        if not data:
            raise EOFError("server closed the connection")
        return data.rstrip(b"\r\n").decode("utf-8", "replace")

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def cmd(self, tag, text):
        """Sends '<tag> <text>' and returns the lines up to the tagged
        one (included)."""
        self.send("%s %s\r\n" % (tag, text))
        return self.until(tag)

    def until(self, tag):
        out = []
        while True:
            ln = self.line()
            out.append(ln)
            if ln.startswith(tag + " "):
                return out

    def starttls(self, tag="s"):
        r = self.cmd(tag, "STARTTLS")
        assert r[-1] == tag + " OK Begin TLS negotiation now.", r
        self.sock = self.server.ssl_context().wrap_socket(
            self.sock, server_hostname="localhost")
        self.f = self.sock.makefile("rb")

    def at_eof(self):
        try:
            return self.f.readline() == b""
        except (ConnectionResetError, ssl.SSLError):
            return True

    def close(self):
        for obj in (self.f, self.sock):  # the file keeps the socket open
            try:
                obj.close()
            except OSError:
                pass


def caps_of(greeting):
    m = re.match(r"^\* OK \[CAPABILITY ([^\]]*)\] (.*)$", greeting)
    assert m, greeting
    return m.group(1).split(), m.group(2)


# ---------------------------------------------------------- the greeting ---

def test_greeting_and_capability_match_dovecot(srv, dovecot):
    ours, theirs = Imap(srv), Imap(dovecot)
    try:
        our_caps, text = caps_of(ours.greeting)
        their_caps, _ = caps_of(theirs.greeting)
        assert our_caps == their_caps
        assert text  # login_greeting
        for c in (ours, theirs):
            r = c.cmd("a", "CAPABILITY")
            assert r == ["* CAPABILITY " + " ".join(their_caps),
                         "a OK Pre-login capabilities listed, post-login "
                         "capabilities have more."]
    finally:
        ours.close()
        theirs.close()


def test_capability_shape(srv):
    c = Imap(srv)
    caps, _ = caps_of(c.greeting)
    assert caps[0] == "IMAP4rev1"
    for cap in ("SASL-IR", "ID", "ENABLE", "IDLE", "LITERAL+", "STARTTLS",
                "AUTH=PLAIN", "AUTH=LOGIN"):
        assert cap in caps
    # loopback is secured: LOGIN is allowed
    assert "LOGINDISABLED" not in caps
    c.close()


@pytest.mark.parametrize("kind", ["loft", "dovecot"])
def test_simple_commands_like_dovecot(kind, srv, dovecot):
    server = srv if kind == "loft" else dovecot
    c = Imap(server)
    name = "Loft" if server.kind == "loft" else "Dovecot"
    assert c.cmd("a", "NOOP") == ["a OK NOOP completed."]
    assert c.cmd("b", "ID NIL") == ['* ID ("name" "%s")' % name,
                                    "b OK ID completed."]
    assert c.cmd("c", 'ID ("name" "pytest" "version" NIL)') == [
        '* ID ("name" "%s")' % name, "c OK ID completed."]
    assert c.cmd("d", "ENABLE IMAP4rev2") == [
        "* ENABLED", "d OK ENABLE ignored in non-authenticated state."]
    assert c.cmd("e", "LOGOUT") == ["* BYE Logging out",
                                    "e OK Logout completed."]
    assert c.at_eof()
    c.close()


def test_id_logged(server_factory):
    """imap_id_log: the client's first ID is logged, with the fields."""
    server = server_factory.start(ports=IMAP_PORTS,
                                  extra=["imap_id_log = name os"])
    c = Imap(server)
    c.cmd("a", 'ID ("name" "py\\"test" "version" "1.0" "os" NIL)')
    c.cmd("b", 'ID ("name" "second")')
    c.cmd("c", "LOGOUT")
    c.close()
    procs.wait_until(lambda: "Aborted login" in server.log_text(),
                     "the Disconnected line")
    log = server.log_text()
    assert re.search(r'imap-login: Info: ID sent: name=py"test, os=NIL: '
                     r'user=<>, rip=127\.0\.0\.1, lip=127\.0\.0\.1, '
                     r'secured, session=<[^>]+>', log), log
    assert "second" not in log


def test_logout_logged(srv):
    c = Imap(srv)
    c.cmd("a", "LOGOUT")
    assert c.at_eof()
    c.close()
    procs.wait_until(
        lambda: re.search(r"imap-login: Info: Disconnected: Aborted login by "
                          r"logging out \(no auth attempts in \d+ secs\): "
                          r"user=<>, rip=127\.0\.0\.1, lip=127\.0\.0\.1, "
                          r"secured, session=<[^>]+>",
                          srv.log_text()),
        "the Disconnected line")


def test_pop3_and_imap_together(server_factory):
    """protocols = pop3 imap: both login services listen, each with its
    own protocol."""
    server = server_factory.start(ports=("pop3", "pop3s") + IMAP_PORTS)
    c = Imap(server)
    caps_of(c.greeting)
    assert c.cmd("a", "NOOP") == ["a OK NOOP completed."]
    c.close()
    c = Imap(server, tls=True)
    caps_of(c.greeting)
    c.close()
    p = server.poplib()
    assert p.getwelcome().startswith(b"+OK")
    p.quit()


# -------------------------------------------------------- bad commands ---

def test_bad_commands_then_bye(srv):
    c = Imap(srv)
    assert c.cmd("a", "SELECT INBOX") == ["a " + BAD_COMMAND]
    assert c.cmd("b", "LOGIN onlyuser") == ["b " + BAD_COMMAND]
    # the third one: Dovecot's limit
    c.send("c FOO\r\n")
    assert c.line() == "* BYE Too many invalid IMAP commands."
    assert c.at_eof()
    c.close()
    procs.wait_until(
        lambda: "Disconnected: Too many invalid commands" in srv.log_text(),
        "the Disconnected line")


def test_bad_arguments(srv):
    c = Imap(srv)
    assert c.cmd("a", "ID foo") == ["a BAD Invalid ID parameters"]
    assert c.cmd("b", "AUTHENTICATE PLAIN !!!") == [
        "b BAD Invalid base64 data in initial response"]
    c.close()


# --------------------------------------------------------------- LOGIN ---

@pytest.mark.parametrize("user,password", [("alice", "wrong"),
                                           ("nosuchuser", "whatever")])
def test_login_failed(srv, user, password):
    c = Imap(srv)
    assert c.cmd("a", "LOGIN %s %s" % (user, password)) == ["a " + AUTH_FAILED]
    # the connection is still usable
    assert c.cmd("b", "NOOP") == ["b OK NOOP completed."]
    c.close()


@pytest.mark.loft_only
def test_login_temporary_failure(server_factory):
    """A passdb that cannot be read is a temporary failure: RFC 5530
    UNAVAILABLE, and the connection stays usable. (Dovecot's passwd-file
    calls a missing file a failed login instead.)"""
    server = server_factory.start(ports=IMAP_PORTS)
    users = server.config.users_file
    os.rename(users, str(users) + ".gone")
    c = Imap(server)
    r = c.cmd("a", "LOGIN alice whatever")
    assert r[-1].startswith("a NO [UNAVAILABLE] "), r
    assert c.cmd("b", "NOOP") == ["b OK NOOP completed."]
    c.close()
    procs.wait_until(lambda: "(auth unavailable, 1 attempts" in
                     server.log_text(), "the Disconnected line")


def test_login_literal_failed(srv):
    c = Imap(srv)
    c.send("a LOGIN {5}\r\n")
    assert c.line() == "+ OK"
    c.send("alice {5+}\r\nwrong\r\n")
    assert c.until("a") == ["a " + AUTH_FAILED]
    c.close()


def test_authenticate_plain_failed(srv):
    c = Imap(srv)
    # SASL-IR (RFC 4959)
    assert c.cmd("a", "AUTHENTICATE PLAIN " + b64("\0alice\0wrong")) == [
        "a " + AUTH_FAILED]
    # continuation
    c.send("b AUTHENTICATE PLAIN\r\n")
    assert c.line() == "+ "
    c.send(b64("\0alice\0wrong") + "\r\n")
    assert c.until("b") == ["b " + AUTH_FAILED]
    # "=" is an empty initial response
    assert c.cmd("c", "AUTHENTICATE PLAIN =") == ["c " + AUTH_FAILED]
    # cancelled
    c.send("d AUTHENTICATE PLAIN\r\n")
    assert c.line() == "+ "
    c.send("*\r\n")
    assert c.until("d") == ["d BAD Authentication aborted by client."]
    assert c.cmd("e", "AUTHENTICATE X-NOSUCH") == [
        "e NO [ALERT] Unsupported authentication mechanism."]
    c.close()


def test_login_ok(srv, alice):
    c = Imap(srv)
    r = c.cmd("a", "LOGIN %s %s" % (alice.name, alice.password))
    assert re.match(r"^a OK \[CAPABILITY IMAP4rev1 [^\]]*\] Logged in",
                    r[-1]), r
    assert c.cmd("b", "LOGOUT")[-1].startswith("b OK")
    c.close()
    procs.wait_until(
        lambda: re.search(r"imap-login: Info: Login: user=<alice>, "
                          r"method=PLAIN, rip=127\.0\.0\.1, "
                          r"lip=127\.0\.0\.1, mpid=\d+, secured, "
                          r"session=<[^>]+>", srv.log_text()),
        "the Login line")


def test_authenticate_ok_with_pipelined_commands(srv, alice):
    """What the client pipelined after AUTHENTICATE reaches the mail
    service, which answers the login's tag itself."""
    c = Imap(srv)
    ir = b64("\0%s\0%s" % (alice.name, alice.password))
    c.send("a AUTHENTICATE PLAIN %s\r\nb NOOP\r\nc LOGOUT\r\n" % ir)
    r = c.until("a")
    assert r[-1].startswith("a OK "), r
    assert c.until("b")[-1].startswith("b OK")
    assert c.until("c")[-1].startswith("c OK")
    c.close()


def test_authenticate_login_mechanism(srv, alice):
    """A multi-step mechanism: each "+ " challenge answered on its own
    line, then the mail service's tagged OK."""
    c = Imap(srv)
    c.send("a AUTHENTICATE LOGIN\r\n")
    assert c.line() == "+ " + b64("Username:")
    c.send(b64(alice.name) + "\r\n")
    assert c.line() == "+ " + b64("Password:")
    c.send(b64(alice.password) + "\r\n")
    r = c.until("a")
    assert re.match(r"^a OK \[CAPABILITY IMAP4rev1 [^\]]*\] Logged in",
                    r[-1]), r
    assert c.cmd("b", "LOGOUT")[-1].startswith("b OK")
    c.close()


def test_imaplib_login(srv, alice):
    for mode in ("plain", "starttls", "ssl"):
        c = srv.imap_login(alice, mode)
        typ, _ = c.noop()
        assert typ == "OK"
        c.logout()


# ----------------------------------------------------------------- TLS ---

def test_starttls(srv):
    c = Imap(srv)
    c.starttls()
    r = c.cmd("a", "CAPABILITY")
    caps = r[0].split()[2:]
    assert "STARTTLS" not in caps
    assert "AUTH=PLAIN" in caps
    assert c.cmd("b", "STARTTLS") == ["b BAD TLS is already active."]
    assert c.cmd("c", "LOGIN alice wrong") == ["c " + AUTH_FAILED]
    c.close()


@pytest.mark.loft_only
def test_starttls_discards_pipelined_input(srv):
    """RFC 3501 section 6.2.1 / RFC 2595 section 3.1: a command sent
    together with STARTTLS, before the handshake, is never executed.
    (Dovecot takes those bytes as the start of the handshake and fails
    it; Loft discards them and the handshake goes on.)"""
    c = Imap(srv)
    c.send("s STARTTLS\r\nx LOGOUT\r\n")
    assert c.line() == "s OK Begin TLS negotiation now."
    c.sock = srv.ssl_context().wrap_socket(c.sock, server_hostname="localhost")
    c.f = c.sock.makefile("rb")
    assert c.cmd("a", "NOOP") == ["a OK NOOP completed."]
    c.close()


def test_implicit_tls(srv):
    c = Imap(srv, tls=True)
    caps, _ = caps_of(c.greeting)
    assert "STARTTLS" not in caps
    assert "AUTH=PLAIN" in caps
    assert c.cmd("a", "STARTTLS") == ["a BAD TLS is already active."]
    assert c.cmd("b", "AUTHENTICATE PLAIN " + b64("\0alice\0wrong")) == [
        "b " + AUTH_FAILED]
    c.close()


# ------------------------------------------------------ bounded memory ---

def _rss_kb(pid):
    return int(procs.proc_status(pid)["VmRSS"].split()[0])


def _send_ignoring_errors(c, data):
    try:
        c.send(data)
    except OSError:
        pass  # the server closed the connection first


def _lines_until_eof(c):
    out = []
    while True:
        try:
            out.append(c.line())
        except (EOFError, ConnectionResetError):
            return out


def _login_pids(server):
    return procs.service_pids(procs.master_pid(server), "imap-login")


@pytest.mark.loft_only
def test_bounded_memory_before_login(srv):
    pids = procs.wait_until(lambda: _login_pids(srv), "imap-login running")
    before = {p: _rss_kb(p) for p in pids}

    # 10,000 literals in one command: over the argument limit, BAD, and
    # the rest of the command is skipped (non-synchronising literals)
    c = Imap(srv)
    c.send(b"a NOOP " + b"{1+}\r\nx " * 10000 + b"\r\n")
    r = c.until("a")
    assert r[-1].startswith("a BAD"), r
    assert c.cmd("a2", "NOOP") == ["a2 OK NOOP completed."]

    # 10,000 nested parentheses
    c.send(b"b ID " + b"(" * 10000 + b"\r\n")
    r = c.until("b")
    assert r[-1].startswith("b BAD"), r
    c.close()

    # 10,000 synchronising literals sent without waiting for "+ OK":
    # over the argument limit the command fails, and what follows is
    # garbage that ends the connection after three bad commands
    bad_before = srv.log_text().count("Too many invalid commands")
    c = Imap(srv)
    flood = threading.Thread(target=_send_ignoring_errors,
                             args=(c, b"c LOGIN " + b"{1}\r\nx " * 10000))
    flood.start()
    lines = _lines_until_eof(c)
    flood.join()
    assert "+ OK" in lines
    # the BYE itself may be lost to the reset of a connection closed
    # with unread input; the log says why it ended
    procs.wait_until(lambda: srv.log_text().count(
        "Too many invalid commands") > bad_before, "the disconnection")
    c.close()

    # 10,000 pipelined commands, the replies read as they come
    c = Imap(srv)
    n = 10000
    sender = threading.Thread(
        target=lambda: c.send(b"".join(b"p%d NOOP\r\n" % i for i in range(n))))
    sender.start()
    for i in range(n):
        assert c.line() == "p%d OK NOOP completed." % i
    sender.join()

    # meanwhile another client is served
    other = Imap(srv)
    assert other.cmd("o", "NOOP") == ["o OK NOOP completed."]
    other.close()
    c.close()

    for p in pids:
        if procs.alive(p):
            grown = _rss_kb(p) - before[p]
            assert grown < 4096, "imap-login %d grew by %d kB" % (p, grown)


@pytest.mark.loft_only
def test_client_that_never_reads_is_dropped(srv):
    c = Imap(srv)
    # far more replies than the output buffer and the socket buffers
    # hold; the client never reads, so the server drops it instead of
    # buffering
    flood = threading.Thread(
        target=_send_ignoring_errors,
        args=(c, b"".join(b"p%d CAPABILITY\r\n" % i for i in range(100000))))
    flood.start()
    procs.wait_until(lambda: "Disconnected: Output buffer full"
                     in srv.log_text(), "the output buffer limit")
    c.close()
    flood.join()
    other = Imap(srv)
    assert other.cmd("o", "NOOP") == ["o OK NOOP completed."]
    other.close()


# ------------------------------------------ plaintext from a real network ---

CLIENT = textwrap.dedent(r'''
    import base64, json, socket, ssl, sys, time
    host, plain_port, cafile, user, pw, deadline, io = sys.argv[1:]
    plain_port = int(plain_port)
    end = time.monotonic() + float(deadline)
    while True:                               # readiness polling
        try:
            socket.create_connection((host, plain_port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > end:
                print(json.dumps({"error": "port not ready"}))
                sys.exit(0)
            time.sleep(0.05)
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False

    s = socket.create_connection((host, plain_port), timeout=float(io))
    f = s.makefile("rb")
    def line():
        return f.readline().rstrip(b"\r\n").decode("latin-1")
    def cmd(tag, text):
        s.sendall(("%s %s\r\n" % (tag, text)).encode())
        out = []
        while True:
            l = line()
            out.append(l)
            if l.startswith(tag + " ") or l.startswith("+"):
                return out
    res = {"greeting": line()}
    res["login"] = cmd("a", "LOGIN %s %s" % (user, pw))
    ir = base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()
    res["auth_plain"] = cmd("b", "AUTHENTICATE PLAIN " + ir)
    res["starttls"] = cmd("c", "STARTTLS")
    s = ctx.wrap_socket(s)
    f = s.makefile("rb")
    res["caps_tls"] = cmd("d", "CAPABILITY")
    res["login_tls"] = cmd("e", "LOGIN %s wrong-%s" % (user, pw))
    print(json.dumps(res))
''')


def test_logindisabled_from_non_loopback(netns, server_factory):
    srv_ns, cli_ns = netns
    srv, cfg, users = start_server_in(server_factory, srv_ns,
                                      {"imap": 1143, "imaps": 1993})
    u = users["alice"]
    res = run_client(cli_ns, CLIENT, [SERVER_IP, 1143, cfg.cert, u.name,
                                      u.password], srv)

    caps, _ = caps_of(res["greeting"])
    assert "LOGINDISABLED" in caps and "STARTTLS" in caps
    assert not [c for c in caps if c.startswith("AUTH=")], caps
    assert res["login"] == [
        "* BAD [ALERT] Plaintext authentication not allowed without "
        "SSL/TLS, but your client did it anyway. If anyone was listening, "
        "the password was exposed.",
        "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on "
        "non-secure (SSL/TLS) connections."]
    assert res["auth_plain"] == [
        "b NO [PRIVACYREQUIRED] Plaintext authentication disabled."]
    assert res["starttls"] == ["c OK Begin TLS negotiation now."]
    caps_tls = res["caps_tls"][0].split()[2:]
    assert "LOGINDISABLED" not in caps_tls and "AUTH=PLAIN" in caps_tls
    assert res["login_tls"] == ["e " + AUTH_FAILED]
