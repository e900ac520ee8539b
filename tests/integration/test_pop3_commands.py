"""POP3 commands through the wire (RFC 1939, 2449, 5034), over plain
loopback, STLS and implicit TLS, against the shared module server.  These
tests only read mail; tests that delete are in test_pop3_state.py."""

import hashlib
import poplib
import re

import pytest

from loftlib import (AUTH_FAILED, b64, crlf, expected_lines, expected_top,
                     login_retry, wire_size)

MODES = ["plain", "stls", "ssl"]


def _ok(resp):
    assert resp.startswith(b"+OK"), resp


@pytest.fixture
def alice(server):
    return server.users["alice"]


@pytest.mark.parametrize("mode", MODES)
def test_stat_list_retr_over(server, alice, mode):
    c = login_retry(server, alice, mode)
    try:
        count, size = c.stat()
        msgs = alice.messages
        assert count == len(msgs)
        assert size == sum(wire_size(m) for m in msgs)
        resp, listing, _ = c.list()
        _ok(resp)
        assert listing == [b"%d %d" % (i, wire_size(m))
                           for i, m in enumerate(msgs, 1)]
        for i, m in enumerate(msgs, 1):
            resp, lines, octets = c.retr(i)
            _ok(resp)
            assert lines == expected_lines(m), "message %d differs" % i
        _ok(c.quit())
    finally:
        c.close()


def test_list_single_and_missing(server, alice):
    c = login_retry(server, alice)
    try:
        for i, m in enumerate(alice.messages, 1):
            assert c.list(i) == b"+OK %d %d" % (i, wire_size(m))
        for bad in (0, len(alice.messages) + 1, 99999):
            with pytest.raises(poplib.error_proto) as e:
                c.list(bad)
            assert e.value.args[0].startswith(b"-ERR")
        c.quit()
    finally:
        c.close()


def test_retr_is_dot_stuffed_on_the_wire(server, alice):
    """The bytes on the wire: CRLF line ends, lines starting with '.' get
    one more '.', the body ends with CRLF.CRLF."""
    with server.raw() as r:
        r.login(alice.name, alice.password)
        for n in (2, 4):
            data = alice.messages[n - 1]
            status = r.cmd("RETR %d" % n)
            assert status.startswith(b"+OK"), status
            body = r.read_multiline_raw()
            want = b"".join(
                (b"." + line if line.startswith(b".") else line) + b"\r\n"
                for line in expected_lines(data)) + b".\r\n"
            assert hashlib.sha256(body).hexdigest() == \
                hashlib.sha256(want).hexdigest(), "RETR %d not byte-exact" % n
        assert r.cmd("QUIT").startswith(b"+OK")


def test_large_message_byte_exact(server, alice):
    c = login_retry(server, alice, "ssl")
    try:
        data = alice.messages[3]
        assert len(data) > 2 * 1024 * 1024
        resp, lines, octets = c.retr(4)
        got = b"\r\n".join(lines) + b"\r\n"
        assert got == crlf(data)
        c.quit()
    finally:
        c.close()


@pytest.mark.parametrize("n,count", [(1, 0), (2, 3), (3, 10), (4, 0),
                                     (4, 5), (6, 0), (6, 4), (2, 1000)])
def test_top(server, alice, n, count):
    c = login_retry(server, alice)
    try:
        resp, lines, _ = c.top(n, count)
        _ok(resp)
        assert lines == expected_top(alice.messages[n - 1], count)
        c.quit()
    finally:
        c.close()


def test_uidl(server, alice):
    c = login_retry(server, alice)
    try:
        resp, listing, _ = c.uidl()
        _ok(resp)
        assert len(listing) == len(alice.messages)
        uids = []
        for i, line in enumerate(listing, 1):
            num, uid = line.split(b" ", 1)
            assert int(num) == i
            # RFC 1939: 1 to 70 characters in the range 0x21 to 0x7E
            assert re.fullmatch(rb"[\x21-\x7e]{1,70}", uid), uid
            assert c.uidl(i) == b"+OK %d %s" % (i, uid)
            uids.append(uid)
        assert len(set(uids)) == len(uids), "UIDLs not unique"
        c.quit()
    finally:
        c.close()
    # Stable across sessions.
    c = login_retry(server, alice, "ssl")
    try:
        assert c.uidl()[1] == listing
        c.quit()
    finally:
        c.close()


def test_noop_rset_quit(server, alice):
    with server.raw() as r:
        r.login(alice.name, alice.password)
        assert r.cmd("NOOP").startswith(b"+OK")
        assert r.cmd("RSET").startswith(b"+OK")
        st = r.cmd("STAT")
        assert st.split()[:2] == [b"+OK", b"%d" % len(alice.messages)]
        assert r.cmd("QUIT").startswith(b"+OK")
        assert r.expect_closed() == b""


def test_commands_are_case_insensitive(server, alice):
    with server.raw() as r:
        assert r.cmd("user %s" % alice.name).startswith(b"+OK")
        assert r.cmd("pAsS %s" % alice.password).startswith(b"+OK")
        assert r.cmd("stat").startswith(b"+OK")
        status, lines = r.cmd_multi("list")
        assert status.startswith(b"+OK") and len(lines) == len(alice.messages)
        assert r.cmd("quit").startswith(b"+OK")


def _capa(r):
    status, lines = r.cmd_multi("CAPA")
    assert status.startswith(b"+OK"), status
    return [l.decode() for l in lines]


def test_capa_before_and_after_stls_and_login(server, alice):
    with server.raw() as r:
        assert r.greeting.startswith(b"+OK")
        caps = _capa(r)
        names = {c.split()[0].upper() for c in caps}
        for want in ("TOP", "UIDL", "RESP-CODES", "PIPELINING",
                     "AUTH-RESP-CODE", "STLS", "USER", "SASL"):
            assert want in names, "%s missing from CAPA %s" % (want, caps)
        sasl = [c for c in caps if c.upper().startswith("SASL")][0].upper().split()
        assert "PLAIN" in sasl and "LOGIN" in sasl
        r.stls(server.ssl_context())
        caps_tls = _capa(r)
        assert "STLS" not in {c.split()[0].upper() for c in caps_tls}
        r.login(alice.name, alice.password)
        caps_auth = _capa(r)
        names = {c.split()[0].upper() for c in caps_auth}
        assert "TOP" in names and "UIDL" in names
        assert "STLS" not in names and "SASL" not in names
        assert r.cmd("QUIT").startswith(b"+OK")


def test_implicit_tls_uses_our_certificate(server, alice):
    c = server.poplib("ssl")
    try:
        der = c.sock.getpeercert(binary_form=True)
        import ssl as _ssl
        pem = open(server.cafile).read()
        assert der == _ssl.PEM_cert_to_DER_cert(pem)
        _ok(c.getwelcome())
    finally:
        c.close()


def test_stls_refused_when_already_tls(server):
    with server.raw(tls=True) as r:
        assert r.cmd("STLS").startswith(b"-ERR")
        assert _capa(r)  # still in sync


def test_stls_discards_pipelined_plaintext(server, alice):
    """Commands sent in the same packet as STLS must not be executed after
    the handshake (plaintext command injection)."""
    with server.raw() as r:
        r.send("STLS\r\nUSER %s\r\n" % alice.name)
        assert r.readline().startswith(b"+OK")
        assert r.buf == b"", "reply to the injected command: %r" % r.buf
        import ssl as _ssl
        try:
            r.sock = server.ssl_context().wrap_socket(
                r.sock, server_hostname=r.server_hostname)
        except (_ssl.SSLError, ConnectionError):
            # Treating the leftover bytes as a broken handshake is safe too.
            return
        resp = r.cmd("PASS %s" % alice.password)
        assert resp.startswith(b"-ERR"), \
            "USER sent before the handshake was honoured: %r" % resp


def test_apop(server, alice):
    c = server.poplib()
    try:
        assert re.search(rb"<[^<>]+@[^<>]+>", c.getwelcome()), \
            "greeting has no APOP timestamp: %r" % c.getwelcome()
        _ok(c.apop(alice.name, alice.password))
        assert c.stat()[0] == len(alice.messages)
        c.quit()
    finally:
        c.close()


def test_apop_wrong_secret(server, alice):
    c = server.poplib()
    try:
        with pytest.raises(poplib.error_proto) as e:
            c.apop(alice.name, "not-the-secret")
        assert e.value.args[0] == AUTH_FAILED
    finally:
        c.close()


def _plain(user, password, authzid=""):
    return b64("%s\0%s\0%s" % (authzid, user, password))


@pytest.mark.parametrize("mode", ["plain", "stls", "ssl"])
@pytest.mark.parametrize("mech,ir", [("PLAIN", True), ("PLAIN", False),
                                     ("LOGIN", True), ("LOGIN", False)])
def test_auth_mechanisms(server, alice, mode, mech, ir):
    r = server.raw(tls=(mode == "ssl"))
    try:
        if mode == "stls":
            r.stls(server.ssl_context())
        if mech == "PLAIN":
            if ir:
                resp = r.cmd("AUTH PLAIN " + _plain(alice.name, alice.password))
            else:
                cont = r.cmd("AUTH PLAIN")
                assert cont.startswith(b"+"), cont
                assert cont.strip() == b"+", "PLAIN challenge must be empty"
                resp = r.cmd(_plain(alice.name, alice.password))
        else:
            if ir:
                cont = r.cmd("AUTH LOGIN " + b64(alice.name))
            else:
                cont = r.cmd("AUTH LOGIN")
                assert cont.startswith(b"+ "), cont
                cont = r.cmd(b64(alice.name))
            assert cont.startswith(b"+ "), cont
            resp = r.cmd(b64(alice.password))
        assert resp.startswith(b"+OK"), resp
        st = r.cmd("STAT")
        assert st.split()[:2] == [b"+OK", b"%d" % len(alice.messages)]
        assert r.cmd("QUIT").startswith(b"+OK")
    finally:
        r.close()


def test_auth_plain_empty_initial_response(server, alice):
    """RFC 5034: '=' is an empty initial response; PLAIN then fails."""
    with server.raw() as r:
        resp = r.cmd("AUTH PLAIN =")
        assert resp.startswith(b"-ERR"), resp
        assert _capa(r)


def test_auth_cancel(server, alice):
    with server.raw() as r:
        assert r.cmd("AUTH PLAIN").startswith(b"+")
        resp = r.cmd("*")
        assert resp.startswith(b"-ERR"), resp
        assert _capa(r)
        resp = r.cmd("AUTH PLAIN " + _plain(alice.name, alice.password))
        assert resp.startswith(b"+OK"), resp
        assert r.cmd("QUIT").startswith(b"+OK")


def test_auth_unknown_mechanism(server):
    with server.raw() as r:
        resp = r.cmd("AUTH X-NO-SUCH-MECH")
        assert resp.startswith(b"-ERR"), resp
        assert _capa(r)


def test_wrong_password_and_unknown_user_look_the_same(server, alice):
    answers = []
    for name, pw in ((alice.name, "wrong-" + alice.password),
                     ("nosuchuser", "whatever")):
        with server.raw() as r:
            r.cmd("USER " + name)
            answers.append(r.cmd("PASS " + pw))
            # Still usable afterwards: a correct login on the same connection.
            if name == alice.name:
                assert r.cmd("USER " + alice.name).startswith(b"+OK")
                assert r.cmd("PASS " + alice.password).startswith(b"+OK")
                assert r.cmd("QUIT").startswith(b"+OK")
        with server.raw() as r:
            answers.append(r.cmd("AUTH PLAIN " + _plain(name, pw)))
    assert answers == [AUTH_FAILED] * 4


def test_user_answer_does_not_reveal_existence(server, alice):
    with server.raw() as r1, server.raw() as r2:
        a = r1.cmd("USER " + alice.name)
        b = r2.cmd("USER nosuchuser")
        assert a.startswith(b"+OK") and b.startswith(b"+OK")
        assert a == b
