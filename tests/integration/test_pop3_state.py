"""POP3 state that outlives a session: DELE takes effect only at QUIT
(RFC 1939 UPDATE state), never after a dropped connection; one session per
mailbox at a time ([IN-USE], RFC 2449); clients that vanish in the middle
of RETR or QUIT.  Each test has its own server and Maildir."""

import poplib

import pytest

from loftlib import connect_retry, expected_lines, login_retry, wire_size


def _files(user):
    """Base names of the user's message files: the part before ':', which
    stays the same when a server moves a file from new/ to cur/ or changes
    its flags."""
    return sorted(p.name.split(":")[0] for p in user.message_files())


def test_dele_applied_at_quit(fresh_server):
    srv = fresh_server
    u = srv.users["alice"]
    before = _files(u)
    c = login_retry(srv, u)
    uidls = c.uidl()[1]
    assert c.dele(1).startswith(b"+OK")
    assert c.dele(3).startswith(b"+OK")
    # Deleted messages vanish from the session's view at once ...
    count, size = c.stat()
    assert count == len(u.messages) - 2
    assert size == sum(wire_size(m) for i, m in enumerate(u.messages, 1)
                       if i not in (1, 3))
    for cmd in (lambda: c.retr(1), lambda: c.list(3), lambda: c.dele(1),
                lambda: c.top(3, 0), lambda: c.uidl(1)):
        with pytest.raises(poplib.error_proto):
            cmd()
    listing = c.list()[1]
    assert [l.split()[0] for l in listing] == [b"2", b"4", b"5", b"6"]
    # ... but nothing is removed from the Maildir before QUIT.
    assert _files(u) == before
    assert c.quit().startswith(b"+OK")
    c.close()
    after = _files(u)
    assert len(after) == len(before) - 2
    c = login_retry(srv, u)
    try:
        assert c.stat()[0] == len(u.messages) - 2
        keep = [m for i, m in enumerate(u.messages, 1) if i not in (1, 3)]
        for i, m in enumerate(keep, 1):
            assert c.retr(i)[1] == expected_lines(m)
        # Survivors keep their UIDLs; numbering is compacted.
        old = [l.split()[1] for i, l in enumerate(uidls, 1) if i not in (1, 3)]
        assert [l.split()[1] for l in c.uidl()[1]] == old
        c.quit()
    finally:
        c.close()


@pytest.mark.parametrize("how", ["close", "reset"])
def test_dele_discarded_when_connection_drops(fresh_server, how):
    srv = fresh_server
    u = srv.users["bob"]
    before = _files(u)
    r = srv.raw()
    r.login(u.name, u.password)
    for n in (1, 2, 3):
        assert r.cmd("DELE %d" % n).startswith(b"+OK")
    if how == "close":
        r.close()
    else:
        r.abort()
    c = login_retry(srv, u)
    try:
        assert c.stat()[0] == len(u.messages)
        c.quit()
    finally:
        c.close()
    assert _files(u) == before


def test_rset_undoes_dele(fresh_server):
    srv = fresh_server
    u = srv.users["carol"]
    before = _files(u)
    c = login_retry(srv, u)
    c.dele(1)
    c.dele(2)
    assert c.stat()[0] == len(u.messages) - 2
    assert c.rset().startswith(b"+OK")
    assert c.stat()[0] == len(u.messages)
    assert c.retr(1)[1] == expected_lines(u.messages[0])
    c.quit()
    c.close()
    assert _files(u) == before


def test_second_session_refused_in_use(fresh_server):
    srv = fresh_server
    u = srv.users["alice"]
    first = login_retry(srv, u)
    try:
        for mode in ("plain", "ssl"):
            second = srv.poplib(mode)
            try:
                second.user(u.name)
                with pytest.raises(poplib.error_proto) as e:
                    second.pass_(u.password)
                assert e.value.args[0].startswith(b"-ERR [IN-USE]"), \
                    e.value.args[0]
            finally:
                second.close()
        # Another user is not affected.
        other = login_retry(srv, srv.users["bob"])
        assert other.stat()[0] == len(u.messages)
        other.quit()
        other.close()
        # The first session is intact.
        assert first.stat()[0] == len(u.messages)
        assert first.quit().startswith(b"+OK")
    finally:
        first.close()
    # Once it has gone, the mailbox is free again.
    again = login_retry(srv, u)
    assert again.stat()[0] == len(u.messages)
    again.quit()
    again.close()


def test_disconnect_during_large_retr(fresh_server):
    srv = fresh_server
    u = srv.users["alice"]
    for tls in (False, True):
        r = srv.raw(tls=tls)
        r.login(u.name, u.password)
        assert r.cmd("DELE 1").startswith(b"+OK")
        r.send("RETR 4\r\n")
        assert r.readline().startswith(b"+OK")
        got = 0
        while got < 256 * 1024:
            r._fill()
            got += len(r.buf)
            r.buf = b""
        r.abort()
    # The server serves the next client, and nothing was deleted.
    c = login_retry(srv, u, "ssl")
    try:
        assert c.stat()[0] == len(u.messages)
        assert c.retr(4)[1] == expected_lines(u.messages[3])
        c.quit()
    finally:
        c.close()


def test_disconnect_before_quit_completes(fresh_server):
    """A half-sent QUIT is no QUIT: nothing is deleted."""
    srv = fresh_server
    u = srv.users["dave"]
    before = _files(u)
    r = srv.raw()
    r.login(u.name, u.password)
    assert r.cmd("DELE 2").startswith(b"+OK")
    r.send("QUI")
    r.abort()
    c = login_retry(srv, u)
    try:
        assert c.stat()[0] == len(u.messages)
        c.quit()
    finally:
        c.close()
    assert _files(u) == before


def test_disconnect_right_after_quit(fresh_server):
    """QUIT sent and the connection reset without reading the answer: the
    server may or may not have committed, but it commits all or nothing and
    the Maildir matches what the next session sees."""
    srv = fresh_server
    u = srv.users["erin"]
    before = _files(u)
    r = srv.raw()
    r.login(u.name, u.password)
    for n in (1, 2, 5):
        assert r.cmd("DELE %d" % n).startswith(b"+OK")
    r.send("QUIT\r\n")
    r.abort()
    c = login_retry(srv, u)
    try:
        count = c.stat()[0]
        assert count in (len(u.messages), len(u.messages) - 3)
        assert len(_files(u)) == count
        if count == len(u.messages):
            assert _files(u) == before
        else:
            keep = [m for i, m in enumerate(u.messages, 1) if i not in (1, 2, 5)]
            for i, m in enumerate(keep, 1):
                assert c.retr(i)[1] == expected_lines(m)
        c.quit()
    finally:
        c.close()
    assert not any((u.maildir / "tmp").iterdir())


def test_quit_before_login_and_dele_all(fresh_server):
    srv = fresh_server
    u = srv.users["frank"]
    with srv.raw() as r:
        assert r.cmd("QUIT").startswith(b"+OK")
        assert r.expect_closed() == b""
    c = login_retry(srv, u)
    for n in range(1, len(u.messages) + 1):
        c.dele(n)
    assert c.stat() == (0, 0)
    assert c.quit().startswith(b"+OK")
    c.close()
    assert _files(u) == []
    c = connect_retry(lambda: login_retry(srv, u))
    assert c.stat() == (0, 0)
    assert c.list()[1] == [] and c.uidl()[1] == []
    c.quit()
    c.close()


def test_new_session_right_after_quit_is_not_in_use(fresh_server):
    """Once QUIT has been answered the session is over: a client that
    reconnects at once must not be refused with [IN-USE] (a server may
    release its lock before answering, or wait for it at login)."""
    srv = fresh_server
    u = srv.users["alice"]
    for _ in range(20):
        c = srv.poplib()
        c.user(u.name)
        c.pass_(u.password)   # raises error_proto on -ERR [IN-USE]
        assert c.stat()[0] == len(u.messages)
        assert c.quit().startswith(b"+OK")
        c.close()


@pytest.mark.loft_only
def test_second_session_refused_by_default(server_factory):
    """Without pop3_lock_session Loft still refuses a second session of
    the same user (its sessions of one user share a worker), and takes no
    lock file."""
    srv = server_factory.start()
    u = srv.users["alice"]
    first = login_retry(srv, u)
    try:
        second = srv.poplib("plain")
        try:
            second.user(u.name)
            with pytest.raises(poplib.error_proto) as e:
                second.pass_(u.password)
            assert e.value.args[0].startswith(b"-ERR [IN-USE]"), \
                e.value.args[0]
        finally:
            second.close()
        assert not (u.maildir / "dovecot-pop3-session.lock").exists()
        assert first.stat()[0] == len(u.messages)
    finally:
        first.quit()
        first.close()
    # the session is over: the user may log in again
    again = login_retry(srv, u)
    assert again.stat()[0] == len(u.messages)
    again.quit()
    again.close()


@pytest.mark.loft_only
def test_pop3_lock_session_takes_dovecots_lock_file(fresh_server):
    srv = fresh_server
    u = srv.users["alice"]
    lock = u.maildir / "dovecot-pop3-session.lock"
    c = login_retry(srv, u)
    try:
        assert lock.exists()
    finally:
        c.quit()
        c.close()
    assert not lock.exists()
