"""\\Recent (RFC 3501 sections 2.3.2, 6.3.1, 7.3.2) through the wire, as
Dovecot keeps it for Maildir: a message is recent in exactly one session,
the first that SELECTs the mailbox (not EXAMINE, not STATUS) after the
message arrived; messages arriving while a session has the mailbox
selected are recent in the session that syncs first ("* n RECENT" after
EXISTS, and again when recent messages are expunged). Checked: SELECT and
EXAMINE's RECENT, STATUS RECENT, FETCH FLAGS \\Recent (also in STORE's
answer), SEARCH RECENT / NEW / OLD, the first recent UID surviving a
server restart, a POP3 session taking them (unless
pop3_no_flag_updates), and IMAP4rev2 (RFC 9051 section 7.3.1: no RECENT, no
\\Recent) still taking the messages.

test_same_as_dovecot runs one sequence of actions against Loft and
Debian's Dovecot and compares what each session is told.  The sync points
after a delivery are NOOPs (Dovecot's other commands may skip the Maildir
rescan for a moment, so which session takes a delivery would depend on
timing there)."""

import os
import poplib
import re

import pytest

from conftest import SERVER_KIND
from imapclient import RawImap, require_imap
from loftlib import IO_TIMEOUT

PORTS = ("imap",)
MESSAGES = [
    ("Subject: recent %d\nFrom: a@example.org\n\nbody %d\n" % (i, i)).encode()
    for i in range(1, 5)
]  # 1 and 3 land in new/ (unseen), 2 and 4 in cur/ with \Seen

# untagged responses a session's view of \Recent shows in
INTERESTING = re.compile(rb"^\* (\d+ (EXISTS|RECENT|EXPUNGE|FETCH)|SEARCH|"
                         rb"STATUS)")


def start(server_factory, kind=None):
    kind = kind or SERVER_KIND
    require_imap(kind)
    return server_factory.start(kind=kind, ports=PORTS, messages=MESSAGES)


class Session:
    """One logged-in client whose answers are kept as a transcript of the
    lines that depend on \\Recent."""

    def __init__(self, srv, name):
        u = srv.users["alice"]
        self.name = name
        self.c = RawImap("127.0.0.1", srv.port("imap"))
        self.c.login(u.name, u.password)
        self.transcript = []

    def run(self, cmd, literal=None):
        untagged, tagged = self.c.command(cmd, literal=literal)
        lines = [l for l in untagged if INTERESTING.match(l)]
        self.transcript.append((self.name, cmd, lines))
        return lines

    def close(self):
        self.c.close()


def deliver(srv, n):
    """A delivery by another program: tmp/ then rename into new/."""
    md = srv.users["alice"].maildir
    name = "1800000%03d.M%dP%d.recent-test" % (n, n, os.getpid())
    (md / "tmp" / name).write_bytes(
        ("Subject: delivered %d\n\nhello\n" % n).encode())
    os.rename(md / "tmp" / name, md / "new" / name)


def count(lines, what):
    """n of "* n WHAT", None when absent."""
    for l in lines:
        m = re.match(rb"^\* (\d+) " + what.encode() + rb"$", l)
        if m:
            return int(m.group(1))
    return None


def search(lines):
    for l in lines:
        if l.startswith(b"* SEARCH"):
            return [int(x) for x in l.split()[2:]]
    raise AssertionError("no SEARCH in %r" % lines)


def status_recent(lines):
    for l in lines:
        m = re.search(rb"RECENT (\d+)", l)
        if l.startswith(b"* STATUS") and m:
            return int(m.group(1))
    raise AssertionError("no STATUS RECENT in %r" % lines)


def recent_flags(lines):
    """{seq: has \\Recent} of FETCH lines."""
    out = {}
    for l in lines:
        m = re.match(rb"^\* (\d+) FETCH .*FLAGS \(([^)]*)\)", l)
        if m:
            out[int(m.group(1))] = b"\\Recent" in m.group(2).split()
    return out


def scenario(srv):
    """The sequence both servers go through; returns every session's
    transcript in order. Asserts what RFC 3501 and Dovecot say each step
    must show."""
    out = []
    status = Session(srv, "status")
    examine = Session(srv, "examine")
    first = Session(srv, "first")
    second = Session(srv, "second")
    sessions = [status, examine, first, second]
    try:
        # STATUS counts the recent messages and leaves them
        assert status_recent(status.run("STATUS INBOX (MESSAGES RECENT)")) \
            == 4
        # so does EXAMINE, which shows them as recent
        lines = examine.run("EXAMINE INBOX")
        assert count(lines, "EXISTS") == 4 and count(lines, "RECENT") == 4
        assert recent_flags(examine.run("FETCH 1:* FLAGS")) == \
            {1: True, 2: True, 3: True, 4: True}
        assert search(examine.run("SEARCH RECENT")) == [1, 2, 3, 4]
        assert status_recent(status.run("STATUS INBOX (RECENT)")) == 4

        # the first SELECT takes them
        lines = first.run("SELECT INBOX")
        assert count(lines, "RECENT") == 4
        assert recent_flags(first.run("FETCH 1:* (FLAGS)")) == \
            {1: True, 2: True, 3: True, 4: True}
        assert search(first.run("SEARCH RECENT")) == [1, 2, 3, 4]
        assert search(first.run("SEARCH NEW")) == [1, 3]
        assert search(first.run("SEARCH OLD")) == []
        assert search(first.run("UID SEARCH RECENT SEEN")) == [2, 4]
        assert status_recent(first.run("STATUS INBOX (RECENT)")) == 4
        # ... and nobody else gets them
        assert status_recent(status.run("STATUS INBOX (RECENT)")) == 0
        lines = second.run("SELECT INBOX")
        assert count(lines, "EXISTS") == 4 and count(lines, "RECENT") == 0
        assert recent_flags(second.run("FETCH 1:* FLAGS")) == \
            {1: False, 2: False, 3: False, 4: False}
        assert search(second.run("SEARCH RECENT")) == []
        assert search(second.run("SEARCH NEW")) == []
        assert search(second.run("SEARCH OLD")) == [1, 2, 3, 4]
        # what EXAMINE saw stays recent there
        examine.run("NOOP")
        assert search(examine.run("SEARCH RECENT")) == [1, 2, 3, 4]

        # a delivery while selected: recent in the session that syncs it
        deliver(srv, 5)
        lines = second.run("NOOP")
        assert count(lines, "EXISTS") == 5 and count(lines, "RECENT") == 1
        lines = first.run("NOOP")
        assert count(lines, "EXISTS") == 5 and count(lines, "RECENT") is None
        assert recent_flags(second.run("FETCH 5 FLAGS")) == {5: True}
        assert recent_flags(first.run("FETCH 5 FLAGS")) == {5: False}
        lines = examine.run("NOOP")
        assert count(lines, "EXISTS") == 5 and count(lines, "RECENT") is None
        assert search(second.run("SEARCH NEW")) == [5]
        # STORE's answer carries \Recent too
        assert recent_flags(second.run("STORE 5 +FLAGS (\\Seen)")) == \
            {5: True}
        assert search(second.run("SEARCH NEW")) == []
        assert search(second.run("SEARCH RECENT")) == [5]

        # expunging a recent message lowers the count
        second.run("STORE 5 +FLAGS (\\Deleted)")
        lines = second.run("EXPUNGE")
        assert count(lines, "EXPUNGE") == 5 and count(lines, "RECENT") == 0
        # an APPEND to the selected mailbox is recent there
        lines = second.run("APPEND INBOX", literal=b"Subject: app\r\n\r\nx\r\n")
        assert count(lines, "EXISTS") == 5 and count(lines, "RECENT") == 1
        lines = first.run("NOOP")
        assert count(lines, "EXPUNGE") == 5 and count(lines, "EXISTS") == 5
        assert count(lines, "RECENT") is None
        assert status_recent(status.run("STATUS INBOX (RECENT)")) == 0
        for s in sessions:
            out.extend(s.transcript)
    finally:
        for s in sessions:
            s.close()
    return out


def test_recent(server_factory):
    srv = start(server_factory)
    scenario(srv)
    # a session opened afterwards: nothing left
    s = Session(srv, "late")
    try:
        assert count(s.run("SELECT INBOX"), "RECENT") == 0
    finally:
        s.close()


@pytest.mark.dovecot
def test_same_as_dovecot(server_factory):
    if SERVER_KIND != "loft":
        pytest.skip("compares Loft with Dovecot")
    loft = scenario(start(server_factory, "loft"))
    dovecot = scenario(start(server_factory, "dovecot"))
    assert len(loft) == len(dovecot)
    for l, d in zip(loft, dovecot):
        assert l == d, "Loft %r\nDovecot %r" % (l, d)


@pytest.mark.parametrize("kind", ["loft", "dovecot"])
@pytest.mark.parametrize("no_flag_updates", [False, True])
def test_pop3_takes_recent(server_factory, kind, no_flag_updates):
    """A POP3 session takes the recent messages as Dovecot's does,
    unless pop3_no_flag_updates."""
    if SERVER_KIND != "loft" and kind == "loft":
        pytest.skip("LOFT_TEST_SERVER=%s" % SERVER_KIND)
    require_imap(kind)
    extra = ["pop3_no_flag_updates = yes"] if no_flag_updates else []
    srv = server_factory.start(kind=kind, ports=("imap", "pop3"),
                               messages=MESSAGES, extra=extra)
    p = poplib.POP3("127.0.0.1", srv.port("pop3"), timeout=IO_TIMEOUT)
    try:
        p.user("alice")
        p.pass_(srv.users["alice"].password)
        assert p.stat()[0] == 4
        p.quit()
    finally:
        p.close()
    s = Session(srv, "imap")
    try:
        assert count(s.run("SELECT INBOX"), "RECENT") == \
            (4 if no_flag_updates else 0)
    finally:
        s.close()


@pytest.mark.loft_only
def test_survives_restart(server_factory):
    srv = start(server_factory)
    s = Session(srv, "a")
    try:
        assert count(s.run("SELECT INBOX"), "RECENT") == 4
    finally:
        s.close()
    server_factory.stop(srv)
    srv.start()
    s = Session(srv, "b")
    try:
        assert count(s.run("SELECT INBOX"), "RECENT") == 0
        assert status_recent(s.run("STATUS INBOX (RECENT)")) == 0
    finally:
        s.close()


@pytest.mark.loft_only
def test_imap4rev2_shows_no_recent(server_factory):
    srv = start(server_factory)
    rev2 = Session(srv, "rev2")
    rev1 = Session(srv, "rev1")
    try:
        rev2.run("ENABLE IMAP4rev2")
        lines = rev2.run("SELECT INBOX")
        assert count(lines, "EXISTS") == 4 and count(lines, "RECENT") is None
        # recent in this session, but RFC 9051 has no \Recent to show
        assert recent_flags(rev2.run("FETCH 1:* FLAGS")) == \
            {1: False, 2: False, 3: False, 4: False}
        deliver(srv, 9)
        lines = rev2.run("NOOP")
        assert count(lines, "EXISTS") == 5 and count(lines, "RECENT") is None
        assert recent_flags(rev2.run("STORE 5 +FLAGS (\\Flagged)")) == \
            {5: False}
        # the rev2 session took them all the same
        lines = rev1.run("SELECT INBOX")
        assert count(lines, "EXISTS") == 5 and count(lines, "RECENT") == 0
    finally:
        rev2.close()
        rev1.close()
