"""APPEND to a mailbox that is not selected: the message gets its UID by a
record line appended to dovecot-uidlist (not a rewrite of the file, and
without a rescan of the maildir), and Dovecot reads those UIDs as its own
- also while both servers append to the same mailbox at once.

Runs against Loft (LOFT_TEST_SERVER=dovecot makes the checks that are not
about Loft's file layout run against Dovecot itself)."""

import imaplib
import os
import re
import time

import pytest

from conftest import SERVER_KIND
from imapclient import parse_fetch, require_imap
from test_imap_interop_dovecot import PORTS, check, msg, session

pytestmark = pytest.mark.dovecot

APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


def append(c, box, flags, n):
    data = check(c.append(box, flags, imaplib.Time2Internaldate(1704067200 + n),
                          msg(n, "unselected %d" % n, "text %d\n" % n)))
    m = APPENDUID_RE.search(data[-1])
    assert m, data
    return int(m.group(1)), int(m.group(2))


def fetch_all(c, box):
    n = int(check(c.select(box))[0])
    result = {}
    if n:
        for item in check(c.uid("FETCH", "1:*", "(FLAGS RFC822.SIZE BODY.PEEK[])")):
            if isinstance(item, tuple):
                f = parse_fetch(item[0])
                result[f["uid"]] = (f["flags"] - {"\\Recent"}, item[1])
    status = check(c.status(box, "(UIDVALIDITY UIDNEXT)"))[0].decode()
    validity = int(re.search(r"UIDVALIDITY (\d+)", status).group(1))
    uidnext = int(re.search(r"UIDNEXT (\d+)", status).group(1))
    check(c.unselect() if hasattr(c, "unselect") else c.close())
    return validity, uidnext, result


def test_append_unselected_then_dovecot(server_factory):
    require_imap(SERVER_KIND)
    cfg, us = server_factory.world(ports=PORTS)
    u = us["alice"]
    srv = server_factory.start_with(cfg, us, kind=SERVER_KIND)
    c = session(srv, u)
    try:
        check(c.create("Box"))
        v1, uid1 = append(c, "Box", "(\\Seen)", 1)
        uidlist = u.maildir / ".Box" / "dovecot-uidlist"
        ino = os.stat(uidlist).st_ino if SERVER_KIND != "dovecot" else None
        got = [(v1, uid1)]
        got.append(append(c, "Box", "(\\Flagged Project)", 2))
        got.append(append(c, "Box", None, 3))
        got.append(append(c, "Box", "($Label1 Project)", 4))
        assert [g[1] for g in got] == [1, 2, 3, 4]
        assert {g[0] for g in got} == {v1}
        if SERVER_KIND != "dovecot":
            # appended in place: the same file, one line per message
            assert os.stat(uidlist).st_ino == ino
            lines = uidlist.read_text().splitlines()
            assert [int(line.split()[0]) for line in lines[1:]] == [1, 2, 3, 4]
        before = fetch_all(c, "Box")
        assert before[0] == v1 and before[1] == 5
        assert sorted(before[2]) == [1, 2, 3, 4]
        assert before[2][2][0] == {"\\Flagged", "Project"}
        assert before[2][4][0] == {"$Label1", "Project"}
        assert b"text 3" in before[2][3][1]
        # a selected session sees an APPEND to another mailbox land there
        check(c.select("INBOX"))
        assert append(c, "Box", "(\\Seen)", 5) == (v1, 5)
    finally:
        c.logout()
    server_factory.stop(srv)

    dove = server_factory.start_with(cfg, us, kind="dovecot")
    c = session(dove, u)
    try:
        validity, uidnext, mails = fetch_all(c, "Box")
        assert (validity, uidnext) == (v1, 6)
        assert {uid: m[0] for uid, m in mails.items()} == {
            uid: m[0] for uid, m in before[2].items()} | {5: {"\\Seen"}}
        assert all(mails[uid][1] == before[2][uid][1] for uid in before[2])
        # Dovecot continues the UIDs
        assert append(c, "Box", None, 6) == (v1, 6)
    finally:
        c.logout()
    server_factory.stop(dove)


def test_both_servers_append_unselected(server_factory, cert):
    """Dovecot and the server under test append to one mailbox that
    neither has selected, turn by turn: distinct ascending UIDs, one
    UIDVALIDITY, every message seen by both."""
    if SERVER_KIND == "dovecot":
        pytest.skip("needs two different servers; LOFT_TEST_SERVER=dovecot "
                    "would start Dovecot twice on one base_dir")
    require_imap(SERVER_KIND)
    from loftlib import Config, free_port
    cfg, us = server_factory.world(ports=PORTS)
    u = us["alice"]
    other = Config(cfg.root, cert[0], cert[1],
                   {name: free_port() for name in PORTS})
    dove = server_factory.start_with(other, us, kind="dovecot")
    srv = server_factory.start_with(cfg, us, kind=SERVER_KIND)
    cd, cs = session(dove, u), session(srv, u)
    try:
        check(cs.create("Both"))
        got = [append((cs, cd)[i % 2], "Both", "(\\Seen)", 10 + i) for i in range(8)]
        assert len({g[0] for g in got}) == 1
        uids = [g[1] for g in got]
        assert uids == list(range(1, 9)), uids
        for c in (cs, cd):
            validity, uidnext, mails = fetch_all(c, "Both")
            assert validity == got[0][0] and uidnext == 9
            assert sorted(mails) == uids
    finally:
        cd.logout()
        cs.logout()


def test_concurrent_appends(server_factory):
    """Sessions appending at once (their fsyncs run side by side in the
    server): every message gets its own UID, each session's UIDs ascend,
    all are there afterwards and tmp/ is empty."""
    import threading
    require_imap(SERVER_KIND)
    cfg, us = server_factory.world(ports=PORTS)
    u = us["alice"]
    srv = server_factory.start_with(cfg, us, kind=SERVER_KIND)
    conns = [session(srv, u) for _ in range(4)]
    results, errors = {}, []

    def run(i, c):
        try:
            results[i] = [append(c, "INBOX", "(\\Seen)", 100 * i + n)[1]
                          for n in range(10)]
        except Exception as e:  # reported below
            errors.append(e)

    try:
        n0 = int(check(conns[0].select("INBOX"))[0])
        check(conns[0].unselect())
        threads = [threading.Thread(target=run, args=(i, c))
                   for i, c in enumerate(conns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        uids = [uid for i in sorted(results) for uid in results[i]]
        assert len(uids) == 40 and len(set(uids)) == 40
        assert all(r == sorted(r) for r in results.values())
        validity, uidnext, mails = fetch_all(conns[0], "INBOX")
        assert set(uids) <= set(mails) and len(mails) == n0 + 40
        assert uidnext == max(uids) + 1
        assert os.listdir(u.maildir / "tmp") == []
    finally:
        for c in conns:
            c.logout()


def test_disconnect_while_saving(server_factory):
    """Clients that send a whole APPEND and hang up before the answer
    (while the message is being fsynced): the server keeps serving, each
    message is either there with a UID or not at all, nothing stays in
    tmp/, and the server stops cleanly (no crash in its log)."""
    import socket
    require_imap(SERVER_KIND)
    cfg, us = server_factory.world(ports=PORTS)
    u = us["alice"]
    srv = server_factory.start_with(cfg, us, kind=SERVER_KIND)
    body = msg(1, "hang up", "x" * 20000 + "\n")
    sent = 0
    for i in range(20):
        s = socket.create_connection(("127.0.0.1", srv.port("imap")), timeout=10)
        try:
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"a LOGIN %s %s\r\n" % (u.name.encode(), u.password.encode()))
            line = f.readline()
            while line and not line.startswith(b"a "):
                line = f.readline()
            if not line.startswith(b"a OK"):
                continue  # refused (e.g. too many sessions still closing)
            # LITERAL+: the message and the hang-up without waiting
            s.sendall(b"b APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
            sent += 1
        finally:
            s.close()
    # the hung-up sessions count against mail_max_userip_connections
    # until their saves come back and they close
    deadline = time.monotonic() + 30
    while True:
        try:
            c = session(srv, u)
            break
        except imaplib.IMAP4.abort:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        validity, uidnext, mails = fetch_all(c, "INBOX")
        saved = [uid for uid, m in mails.items() if b"hang up" in m[1]]
        assert sent > 0 and len(saved) <= sent
        # still answers APPEND with a UID after the saved ones
        v, uid = append(c, "INBOX", None, 99)
        assert uid >= uidnext
    finally:
        c.logout()
    deadline = time.monotonic() + 10
    while os.listdir(u.maildir / "tmp") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.listdir(u.maildir / "tmp") == []
    server_factory.stop(srv)


def loft_server(server_factory, why):
    """(alice, a started server) for a test about Loft itself (skipped,
    saying why, against Dovecot)."""
    if SERVER_KIND == "dovecot":
        pytest.skip(why)
    require_imap(SERVER_KIND)
    cfg, us = server_factory.world(ports=PORTS)
    return us["alice"], server_factory.start_with(cfg, us, kind=SERVER_KIND)


def test_append_waits_for_uidlist_lock(server_factory):
    """dovecot-uidlist.lock held by another process (as Dovecot holds it
    while it writes the file): an APPEND waits for it and then gets the
    next UID; no lock stays behind, nothing is left in tmp/, and the
    helper file the save takes the lock with goes when the server stops."""
    import threading
    u, srv = loft_server(server_factory, "about Loft's lock files")
    c = session(srv, u)
    lock = u.maildir / "dovecot-uidlist.lock"
    try:
        v, uid1 = append(c, "INBOX", "(\\Seen)", 1)
        assert not lock.exists()
        lock.write_bytes(b"")
        done = []
        t = threading.Thread(
            target=lambda: done.append(append(c, "INBOX", None, 2)))
        t.start()
        t.join(0.5)
        # cannot have finished: the record is written under the lock
        assert not done and lock.exists()
        lock.unlink()
        t.join(20)
        assert done == [(v, uid1 + 1)]
        assert not lock.exists()
        assert append(c, "INBOX", None, 3) == (v, uid1 + 2)
        assert os.listdir(u.maildir / "tmp") == []
        lines = (u.maildir / "dovecot-uidlist").read_text().splitlines()
        assert [int(line.split()[0]) for line in lines[1:]][-3:] == [
            uid1, uid1 + 1, uid1 + 2]
    finally:
        c.logout()
    server_factory.stop(srv)
    left = [n for n in os.listdir(u.maildir) if "lock" in n]
    assert "dovecot-uidlist.lock" not in left
    assert not [n for n in left if n.startswith("loft-uidlist-lock.")], left


def test_kill9_while_appending(server_factory):
    """The mail workers killed (SIGKILL) while sessions append: every
    APPEND answered OK is there afterwards under its UID with its whole
    text, no UID is given twice, and APPENDs go on at once (a uidlist
    lock the killed process held names it, so it is removed as stale)."""
    import signal
    import threading
    from procs import descendants
    u, srv = loft_server(server_factory, "kills Loft's mail workers")
    stop = threading.Event()
    acked = {}  # uid -> message number

    def run(i):
        try:
            c = session(srv, u)
            for n in range(1, 100000):
                if stop.is_set():
                    break
                key = 1000 * (i + 1) + n
                acked[append(c, "INBOX", "(\\Seen)", key)[1]] = key
        except Exception:  # the connection went with its worker
            pass

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)

    def comm(pid):
        try:
            with open("/proc/%d/comm" % pid) as f:
                return f.read().strip()
        except OSError:
            return ""
    workers = [p for p in descendants(srv.proc.pid) if comm(p) == "imap"
               and any(comm(q) == "imap" and p in descendants(q)
                       for q in descendants(srv.proc.pid))]
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(30)
    assert len(acked) >= 40
    c = session(srv, u)
    try:
        v, uid = append(c, "INBOX", None, 99)
        assert uid > max(acked)
        validity, uidnext, mails = fetch_all(c, "INBOX")
        for uid, key in acked.items():
            assert uid in mails, (uid, key)
            assert mails[uid][1].endswith(b"text %d\r\n" % key), mails[uid]
        # no message twice (a file with two UIDs would be)
        keys = [m[1] for m in mails.values()]
        assert len(keys) == len(set(keys))
    finally:
        c.logout()
    problems = srv.stop()
    assert all("killed with signal 9" in p for p in problems), problems
