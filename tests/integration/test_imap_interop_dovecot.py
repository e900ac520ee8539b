"""Mailbox trees shared with Debian's Dovecot, through IMAP.

One server writes a tree through IMAP (CREATE, SUBSCRIBE, APPEND with flags,
keywords and dates, STORE, COPY, EXPUNGE), is stopped, and the other server
is started on the same Maildir: every mailbox must show the same
UIDVALIDITY, UIDNEXT, UIDs, flags, keywords, INTERNALDATEs, sizes and
bodies, and the same subscriptions.  The second server then changes the
tree, and the first sees those changes the same way.  Both orders.

The server under test is Loft (or Dovecot itself with
LOFT_TEST_SERVER=dovecot, which checks the test); the peer is always
Dovecot.  tests/integration/test_imap_storage_dovecot.py covers the same
ground below IMAP, with doveadm and Loft's mailbox tool.
"""

import imaplib
import re

import pytest

from conftest import SERVER_KIND
from imapclient import parse_fetch, parse_list, require_imap
from loftlib import crlf

pytestmark = pytest.mark.dovecot

PORTS = ("imap", "imaps")


def msg(n, subject, body="body\n"):
    return crlf(("From: Peer %d <peer%d@example.org>\n"
                 "To: alice@example.com\n"
                 "Subject: %s\n"
                 "Date: Tue, %d Feb 2024 09:00:00 +0100\n"
                 "Message-ID: <interop-%d@example.org>\n"
                 "\n%s" % (n, n, subject, n, n, body)).encode())


def quoted(name):
    return '"%s"' % name


def check(result):
    typ, data = result
    assert typ == "OK", data
    return data


def write_tree(c, sep):
    """The first server's share: folders, subscriptions, messages with
    flags and keywords, copies and expunges (leaving a gap in the UIDs).
    Non-ASCII folder names go in modified UTF-7 (RFC 3501 5.1.3)."""
    work, year = "Work", "Work%s2024" % sep
    odd = "B&AOQ-d&-Name"  # "Bäd&Name"
    for box in (work, year, odd, "Archive"):
        check(c.create(quoted(box)))
    for box in (work, odd):
        check(c.subscribe(quoted(box)))
    check(c.append("INBOX", "(\\Flagged $Label1 Project)",
                   imaplib.Time2Internaldate(1704067200), msg(1, "flagged")))
    check(c.append("INBOX", "(\\Seen)", imaplib.Time2Internaldate(1704153600),
                   msg(2, "seen")))
    for i in range(3, 7):
        check(c.append(quoted(work), "(Project $Work%d)" % i,
                       imaplib.Time2Internaldate(1704067200 + i * 3600),
                       msg(i, "work %d" % i, "line\n" * i)))
    check(c.append(quoted(odd), "(\\Draft)", None, msg(7, "odd name")))

    check(c.select("INBOX"))
    n = int(check(c.select("INBOX"))[0])
    check(c.store("%d" % (n - 1), "+FLAGS", "(\\Answered Custom1)"))
    check(c.store("%d" % n, "-FLAGS", "(\\Seen)"))
    check(c.store("1", "+FLAGS", "(\\Seen NonJunk)"))
    check(c.copy("%d:%d" % (n - 1, n), quoted(year)))
    check(c.store("2", "+FLAGS.SILENT", "(\\Deleted)"))
    check(c.expunge())

    check(c.select(quoted(work)))
    check(c.store("2", "+FLAGS", "(\\Deleted)"))
    check(c.expunge())
    check(c.store("1", "-FLAGS", "(Project)"))


def change_tree(c, sep):
    """The second server's share: new messages (their UIDs must continue
    from the first server's UIDNEXT), flag and keyword changes, an
    expunge, a new folder, an unsubscribe."""
    check(c.append("Work", "(\\Seen Later)", imaplib.Time2Internaldate(1706745600),
                   msg(8, "appended later")))
    check(c.select("Work"))
    check(c.store("1", "+FLAGS", "(\\Flagged $Work3 Another)"))
    check(c.store("3", "+FLAGS.SILENT", "(\\Deleted)"))
    check(c.expunge())
    check(c.create("Second"))
    check(c.append("Second", None, imaplib.Time2Internaldate(1706832000),
                   msg(9, "second")))
    check(c.unsubscribe('"B&AOQ-d&-Name"'))
    check(c.subscribe("Second"))
    check(c.select("INBOX"))
    check(c.uid("STORE", "1:*", "-FLAGS", "($Label1)"))


STATUS_RE = re.compile(rb"(MESSAGES|UIDNEXT|UIDVALIDITY) (\d+)")


def snapshot(c):
    """Everything a client can see of the tree: mailbox names,
    subscriptions, and per selectable mailbox its STATUS and
    {uid: (flags and keywords, INTERNALDATE, RFC822.SIZE, body)}."""
    names = set()
    selectable = []
    for line in check(c.list('""', "*")):
        attrs, _, name = parse_list(line)
        names.add(name)
        if "\\Noselect" not in attrs and "\\NonExistent" not in attrs:
            selectable.append(name)
    subscribed = set(parse_list(line)[2] for line in check(c.lsub('""', "*"))
                     if line is not None)
    boxes = {}
    for name in sorted(selectable):
        status = dict((k.decode(), int(v)) for k, v in STATUS_RE.findall(
            check(c.status(quoted(name), "(MESSAGES UIDNEXT UIDVALIDITY)"))[0]))
        n = int(check(c.select(quoted(name), readonly=True))[0])
        mails = {}
        if n:
            data = check(c.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE "
                               "RFC822.SIZE BODY.PEEK[])"))
            pending = None
            for item in data:
                if isinstance(item, tuple):
                    pending = parse_fetch(item[0])
                    pending["body"] = item[1]
                    continue
                # the closing part may carry items sent after the literal
                f = parse_fetch(item) if item else {}
                if pending is not None:
                    f = dict(pending, **{k: v for k, v in f.items()
                                         if k != "seq"})
                    pending = None
                mails[f["uid"]] = (frozenset(f["flags"] - {"\\Recent"}),
                                   f["internaldate"], f["size"],
                                   f.get("body"))
        assert len(mails) == n == status["MESSAGES"], (name, status, mails)
        boxes[name] = (status["UIDVALIDITY"], status["UIDNEXT"], mails)
    return {"names": names, "subscribed": subscribed, "boxes": boxes}


def diff(a, b):
    """A readable account of how two snapshots differ (empty when equal)."""
    out = []
    for key in ("names", "subscribed"):
        if a[key] != b[key]:
            out.append("%s: %s vs %s" % (key, sorted(a[key]), sorted(b[key])))
    for name in sorted(set(a["boxes"]) | set(b["boxes"])):
        x, y = a["boxes"].get(name), b["boxes"].get(name)
        if x is None or y is None:
            out.append("%s: only in one" % name)
            continue
        if x[:2] != y[:2]:
            out.append("%s: UIDVALIDITY/UIDNEXT %s vs %s" % (name, x[:2], y[:2]))
        for uid in sorted(set(x[2]) | set(y[2])):
            m, n = x[2].get(uid), y[2].get(uid)
            if m != n:
                out.append("%s uid %s: %s vs %s" % (
                    name, uid, m and m[:3], n and n[:3]) +
                    (" (bodies differ)" if m and n and m[3] != n[3] else ""))
    return "\n".join(out)


def separator(c):
    return parse_list(check(c.list('""', '""'))[0])[1]


def session(srv, user):
    return srv.imap_login(user, "ssl")


def run(factory, first, second):
    """first writes, second reads and changes, first reads again."""
    require_imap(first)
    require_imap(second)
    cfg, us = factory.world(ports=PORTS)
    u = us["alice"]

    a = factory.start_with(cfg, us, kind=first)
    c = session(a, u)
    try:
        sep = separator(c)
        write_tree(c, sep)
        before = snapshot(c)
    finally:
        c.logout()
    factory.stop(a)

    b = factory.start_with(cfg, us, kind=second)
    c = session(b, u)
    try:
        seen = snapshot(c)
        assert not diff(before, seen), "%s's tree in %s:\n%s" % (
            first, second, diff(before, seen))
        # a first snapshot may have created index state; a second one
        # must not change what is seen
        assert not diff(seen, snapshot(c))
        change_tree(c, sep)
        after = snapshot(c)
    finally:
        c.logout()
    factory.stop(b)

    # the changes are what they should be, not merely consistent
    work = after["boxes"]["Work"]
    uidnext_before = before["boxes"]["Work"][1]
    assert max(work[2]) == uidnext_before, "new UID does not continue " \
        "from the first server's UIDNEXT"
    assert work[1] == uidnext_before + 1
    assert after["subscribed"] == {"Work", "Second"}
    assert all("$Label1" not in m[0] for m in after["boxes"]["INBOX"][2].values())

    a2 = factory.start_with(cfg, us, kind=first)
    c = session(a2, u)
    try:
        back = snapshot(c)
    finally:
        c.logout()
    factory.stop(a2)
    assert not diff(after, back), "%s's changes in %s:\n%s" % (
        second, first, diff(after, back))


def test_dovecot_tree_opens_in_server(server_factory):
    run(server_factory, "dovecot", SERVER_KIND)


def test_server_tree_opens_in_dovecot(server_factory):
    run(server_factory, SERVER_KIND, "dovecot")


APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


def test_both_servers_at_once(server_factory, cert):
    """Dovecot and the server under test on one Maildir at the same time,
    as during a migration: appends through either get distinct, ascending
    UIDs under one UIDVALIDITY (both lock dovecot-uidlist), and flag
    changes and expunges made through one are seen through the other."""
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
        n = int(check(cd.select("INBOX"))[0])
        assert int(check(cs.select("INBOX"))[0]) == n
        uids = []
        validity = set()
        for i in range(6):
            c = (cd, cs)[i % 2]
            data = check(c.append("INBOX", "(\\Seen)", None,
                                  msg(20 + i, "both %d" % i)))
            m = APPENDUID_RE.search(data[-1])
            assert m, data
            validity.add(int(m.group(1)))
            uids.append(int(m.group(2)))
        assert len(validity) == 1
        assert uids == sorted(uids) and len(set(uids)) == len(uids), uids

        def flags_of(c, uid):
            check(c.noop())
            data = check(c.uid("FETCH", str(uid), "(FLAGS)"))
            return parse_fetch(data[0])["flags"] - {"\\Recent"}

        check(cs.uid("STORE", str(uids[0]), "+FLAGS", "(\\Flagged Both)"))
        assert flags_of(cd, uids[0]) == {"\\Seen", "\\Flagged", "Both"}
        check(cd.uid("STORE", str(uids[1]), "-FLAGS", "(\\Seen)"))
        check(cd.uid("STORE", str(uids[1]), "+FLAGS", "($Other)"))
        assert flags_of(cs, uids[1]) == {"$Other"}

        check(cd.uid("STORE", str(uids[2]), "+FLAGS", "(\\Deleted)"))
        check(cd.expunge())
        check(cs.noop())
        data = check(cs.uid("SEARCH", None, "ALL"))
        seen = [int(x) for x in data[0].split()]
        assert uids[2] not in seen and uids[3] in seen
        assert len(seen) == n + 5
    finally:
        cd.logout()
        cs.logout()
    for s in (dove, srv):
        c = session(s, u)
        try:
            shot = snapshot(c)
        finally:
            c.logout()
        if s is dove:
            dove_shot = shot
    assert not diff(dove_shot, shot), diff(dove_shot, shot)
