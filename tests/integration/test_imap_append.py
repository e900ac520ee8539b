"""APPEND through the wire: flags, keywords and INTERNALDATE kept,
APPENDUID (RFC 4315), [TRYCREATE] for a missing mailbox and [TOOBIG]
over APPENDLIMIT answered before the client sends the literal (RFC 7889),
non-synchronising literals (LITERAL+), a mailbox name sent as a literal,
UTF8 (~{n}) of RFC 6855, a message bigger than the output buffer, EXISTS
in the selected mailbox, bad arguments, and an APPEND interrupted in the
middle of its literal leaving nothing visible and nothing in tmp/.

Runs against Loft; LOFT_TEST_SERVER=dovecot runs it against Dovecot to
check the tests themselves (Loft-only behaviour is marked)."""

import os
import re
import socket
import time

import pytest

import loftlib
from imapclient import ImapError, RawImap, quote, response_code
from procs import descendants

from test_imap_mailboxes import (NAMESPACE, connect, expect_bad, expect_no,
                                 start, status_of)

DEADLINE = 15.0


@pytest.fixture
def fresh(server_factory):
    srv = start(server_factory)
    c = connect(srv, srv.users["alice"])
    yield srv, c
    c.close()


def maildir_files(maildir, sub):
    d = maildir / sub
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


def partial_files(srv, maildir):
    """Files of messages being written: names in tmp/, and the unnamed
    files (O_TMPFILE, "tmp/#<inode> (deleted)") that the server's
    processes hold open there."""
    tmp = str(maildir / "tmp") + "/"
    held = []
    for pid in [srv.proc.pid] + descendants(srv.proc.pid):
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue  # exited meanwhile
        for fd in fds:
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith(tmp):
                held.append(target)
    return maildir_files(maildir, "tmp") + sorted(held)


def test_append_flags_date_and_appenduid(fresh):
    srv, c = fresh
    maildir = srv.users["alice"].maildir
    before = status_of(c.command("STATUS INBOX (UIDNEXT UIDVALIDITY "
                                 "MESSAGES)")[0])
    msg = b"Subject: appended\r\nFrom: a@example.org\r\n\r\nbody line\r\n"
    untagged, tagged = c.command(
        'APPEND INBOX (\\Seen \\Flagged $Label1) "05-Feb-2021 10:20:30 +0100"',
        literal=msg)
    code = response_code(tagged, "APPENDUID")
    assert code is not None, tagged
    uidv, uid = map(int, code.split())
    assert uidv == before["UIDVALIDITY"] and uid == before["UIDNEXT"]
    after = status_of(c.command("STATUS INBOX (UIDNEXT MESSAGES)")[0])
    assert after == {"UIDNEXT": uid + 1, "MESSAGES": before["MESSAGES"] + 1}
    # on disk: in cur/ with the flags and the keyword letter, sizes in the
    # name, mtime = the internal date, contents as sent
    new = [p for p in (maildir / "cur").iterdir()
           if b"appended" in p.read_bytes()]
    assert len(new) == 1, list((maildir / "cur").iterdir())
    name = new[0].name
    # stored with LF line endings, as Dovecot stores them
    assert new[0].read_bytes() == msg.replace(b"\r\n", b"\n")
    assert re.search(r",S=%d,W=%d" % (len(msg.replace(b"\r\n", b"\n")),
                                       len(msg)), name), name
    info = name.split(":2,", 1)[1]
    assert "F" in info and "S" in info and "a" in info, name
    assert int(new[0].stat().st_mtime) == 1612516830
    kw = (maildir / "dovecot-keywords").read_text()
    assert "$Label1" in kw
    assert maildir_files(maildir, "tmp") == []


def test_append_to_selected_mailbox_reports_exists(fresh):
    srv, c = fresh
    c.command("SELECT INBOX")
    untagged, tagged = c.command("APPEND INBOX", literal=b"Subject: x\r\n\r\n"
                                 b"x\r\n")
    assert b"* 7 EXISTS" in untagged, untagged
    assert response_code(tagged, "APPENDUID") is not None


def exists_of(untagged):
    found = [int(m.group(1)) for line in untagged
             for m in [re.match(rb"\* (\d+) EXISTS", line)] if m]
    return found[-1] if found else None


def flags_by_uid(untagged):
    """{uid: flags without \\Recent} of FETCH (UID FLAGS) lines."""
    out = {}
    for line in untagged:
        m = re.match(rb"\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\)\)", line)
        if m:
            out[int(m.group(1))] = set(m.group(2).decode().split()) - {
                "\\Recent"}
    return out


def test_append_to_selected_mailbox_joins_view(fresh):
    """APPENDs to the selected mailbox (the new message joins the view
    without a rescan when nothing else changed): each is reported with
    EXISTS and reads back like any other message; a flag changed and a
    message delivered by others meanwhile are reported with the next one;
    a new session sees the same UIDs and flags."""
    srv, c = fresh
    maildir = srv.users["alice"].maildir
    n = exists_of(c.command("SELECT INBOX")[0])
    msg = b"Subject: joins\r\n\r\nthe view\r\n"
    # no new keyword: a change to dovecot-keywords would mean a rescan
    untagged, tagged = c.command(
        'APPEND INBOX (\\Flagged) "05-Feb-2021 10:20:30 +0100"',
        literal=msg)
    uid1 = int(response_code(tagged, "APPENDUID").split()[1])
    assert exists_of(untagged) == n + 1, untagged
    untagged, _ = c.command("FETCH %d (UID FLAGS RFC822.SIZE INTERNALDATE "
                            "BODY.PEEK[TEXT])" % (n + 1))
    line = b" ".join(untagged)
    assert b"UID %d " % uid1 in line, untagged
    assert b"\\Flagged" in line, untagged
    assert b"RFC822.SIZE %d" % len(msg) in line, untagged
    assert b'"05-Feb-2021 09:20:30 +0000"' in line, untagged
    assert b"the view" in line, untagged
    # another session sets a flag; a delivery drops a file into new/
    c2 = connect(srv, srv.users["alice"])
    c2.command("SELECT INBOX")
    c2.command("STORE 1 +FLAGS (\\Answered)")
    c2.close()
    delivered = b"Subject: delivered\n\nby hand\n"
    (maildir / "tmp" / "1700000001.Mhand.test").write_bytes(delivered)
    os.rename(maildir / "tmp" / "1700000001.Mhand.test",
              maildir / "new" / "1700000001.Mhand.test")
    untagged, tagged = c.command("APPEND INBOX (kw1)", literal=msg)
    uid2 = int(response_code(tagged, "APPENDUID").split()[1])
    assert exists_of(untagged) == n + 3, untagged
    assert any(re.match(rb"\* 1 FETCH .*\\Answered", line)
               for line in untagged), untagged
    untagged, _ = c.command("UID SEARCH ALL")
    uids = [int(x) for x in untagged[0].split()[2:]]
    assert len(uids) == n + 3 and uid1 in uids and uid2 in uids
    flags = flags_by_uid(c.command("UID FETCH 1:* (FLAGS)")[0])
    assert flags[uid1] == {"\\Flagged"} and flags[uid2] == {"kw1"}
    c.command("LOGOUT", check=False)
    c3 = connect(srv, srv.users["alice"])
    try:
        assert exists_of(c3.command("EXAMINE INBOX")[0]) == n + 3
        assert flags_by_uid(c3.command("UID FETCH 1:* (FLAGS)")[0]) == flags
        untagged, _ = c3.command("UID SEARCH ALL")
        assert [int(x) for x in untagged[0].split()[2:]] == uids
    finally:
        c3.close()


def test_append_to_other_mailbox_and_nonsync_literal(fresh):
    srv, c = fresh
    c.command("CREATE box")
    msg = b"Subject: plus\r\n\r\nnon-synchronising\r\n"
    c.send(b"P1 APPEND box () {%d+}\r\n" % len(msg) + msg + b"\r\n")
    line = c.read_response()
    assert line.startswith(b"P1 OK"), line
    assert response_code(line, "APPENDUID").split()[1] == "1"
    # the mailbox name as a literal
    c.send(b"P2 APPEND {3+}\r\nbox {%d+}\r\n" % len(msg) + msg + b"\r\n")
    line = c.read_response()
    assert line.startswith(b"P2 OK"), line
    assert status_of(c.command("STATUS box (MESSAGES)")[0]) == {"MESSAGES": 2}


def test_append_missing_mailbox_trycreate_before_literal(fresh):
    srv, c = fresh
    # synchronising literal: the server must answer NO instead of "+"
    c.send(b"A1 APPEND nonexist {10}\r\n")
    line = c.read_response()
    assert line.startswith(b"A1 NO"), line
    assert response_code(line, "TRYCREATE") is not None, line
    c.command("NOOP")
    # non-synchronising: the bytes are read and dropped
    c.send(b"A2 APPEND nonexist {10+}\r\n0123456789\r\n")
    line = c.read_response()
    assert line.startswith(b"A2 NO") and b"TRYCREATE" in line, line
    c.command("NOOP")


def test_append_bad_arguments(fresh):
    srv, c = fresh
    for args in ("INBOX (\\Recent)", "INBOX (\\Foo)", 'INBOX "bad date"',
                 'INBOX "1-Foo-2021 10:00:00 +0000"', "INBOX ((x))"):
        c.send(b"B1 APPEND %s {1}\r\n" % args.encode())
        line = c.read_response()
        assert line.startswith(b"B1 BAD"), (args, line)
    expect_bad(c, "APPEND")
    expect_bad(c, "APPEND INBOX")
    st = status_of(c.command("STATUS INBOX (MESSAGES)")[0])
    assert st["MESSAGES"] == 6
    maildir = srv.users["alice"].maildir
    assert maildir_files(maildir, "tmp") == []


def test_append_recent_flag_wording(fresh):
    srv, c = fresh
    c.send(b"R1 APPEND INBOX (\\Recent) {1}\r\n")
    line = c.read_response()
    assert line.startswith(b"R1 BAD") and b"Invalid system flag \\RECENT" \
        in line, line


def test_append_large_message(fresh):
    """Bigger than the server's output and input buffers: streamed."""
    srv, c = fresh
    body = b"".join(b"%07d %s\r\n" % (i, b"y" * 70) for i in range(60000))
    msg = b"Subject: large\r\n\r\n" + body
    before = status_of(c.command("STATUS INBOX (SIZE MESSAGES)")[0])
    untagged, tagged = c.command("APPEND INBOX", literal=msg)
    after = status_of(c.command("STATUS INBOX (SIZE MESSAGES)")[0])
    assert after["MESSAGES"] == before["MESSAGES"] + 1
    assert after["SIZE"] == before["SIZE"] + len(msg)


def test_append_lf_message_sizes(fresh):
    """A message with bare LF line endings: SIZE counts CRLF (RFC822.SIZE)."""
    srv, c = fresh
    msg = b"Subject: lf\n\nline one\nline two\n"
    before = status_of(c.command("STATUS INBOX (SIZE)")[0])
    c.command("APPEND INBOX", literal=msg)
    after = status_of(c.command("STATUS INBOX (SIZE)")[0])
    assert after["SIZE"] == before["SIZE"] + loftlib.wire_size(msg)


def _appendlimit(c):
    untagged, _ = c.command("CAPABILITY")
    for line in untagged:
        m = re.search(rb"\bAPPENDLIMIT=(\d+)", line)
        if m:
            return int(m.group(1))
    return None


@pytest.mark.loft_only
def test_append_over_limit_toobig_before_literal(fresh):
    srv, c = fresh
    limit = _appendlimit(c)
    if limit is None:
        pytest.skip("APPENDLIMIT is not advertised")
    c.send(b"L1 APPEND INBOX {%d}\r\n" % (limit + 1))
    line = c.read_response()
    assert line.startswith(b"L1 NO"), line
    assert response_code(line, "TOOBIG") is not None, line
    c.command("NOOP")
    assert maildir_files(srv.users["alice"].maildir, "tmp") == []


@pytest.mark.loft_only
def test_append_utf8(fresh):
    srv, c = fresh
    c.command("ENABLE UTF8=ACCEPT")
    msg = "Subject: Grüße\r\n\r\nKöln\r\n".encode()
    c.send(b"U1 APPEND INBOX UTF8 (~{%d+}\r\n" % len(msg) + msg + b")\r\n")
    line = c.read_response()
    assert line.startswith(b"U1 OK"), line
    assert response_code(line, "APPENDUID") is not None


def test_append_zero_length_refused(fresh):
    srv, c = fresh
    c.send(b"Z1 APPEND INBOX {0+}\r\n\r\n")
    line = c.read_response()
    assert line.split(b" ")[1] in (b"NO", b"BAD"), line
    st = status_of(c.command("STATUS INBOX (MESSAGES)")[0])
    assert st["MESSAGES"] == 6


def test_append_interrupted_leaves_nothing(fresh):
    srv, c = fresh
    maildir = srv.users["alice"].maildir
    before = status_of(c.command("STATUS INBOX (MESSAGES UIDNEXT)")[0])
    c.send(b"I1 APPEND INBOX {1000000}\r\n")
    line = c.read_response()
    assert line.startswith(b"+"), line
    c.sock.sendall(b"Subject: cut\r\n\r\n" + b"z" * 400000)
    # Loft writes the partial message to tmp/ as it arrives (unnamed
    # where the kernel allows it)
    end = time.monotonic() + DEADLINE
    while not partial_files(srv, maildir) and time.monotonic() < end:
        time.sleep(0.05)  # polling for the server to have written
    if os.environ.get("LOFT_TEST_SERVER", "loft") == "loft":
        assert partial_files(srv, maildir), "nothing written to tmp/"
    c.close()
    # nothing in tmp/ (named or held open) once the server has noticed
    # the closed connection
    end = time.monotonic() + DEADLINE
    while partial_files(srv, maildir) and time.monotonic() < end:
        time.sleep(0.05)  # polling for the server to clean up
    assert partial_files(srv, maildir) == []
    c2 = connect(srv, srv.users["alice"])
    after = status_of(c2.command("STATUS INBOX (MESSAGES)")[0])
    assert after["MESSAGES"] == before["MESSAGES"]
    for sub in ("new", "cur"):
        for p in (maildir / sub).iterdir():
            assert b"Subject: cut" not in p.read_bytes()[:100], p
    c2.close()
