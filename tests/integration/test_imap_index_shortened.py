"""loft.index and loft.cache shortened under a running session.

Loft maps both files. It never shortens them itself (loft.index is replaced
by a rename, loft.cache only grows until it is compacted into a new file),
but an administrator or another program may. Reading a mapped page past
the end of its file raises SIGBUS, which would end the mail process and
every session in it. These tests shorten the files while a session has
them mapped and check that the session goes on: the command in progress
ends with a tagged answer, the next sync gives the right answers (the index
rebuilt from the Maildir with the same UIDs, the cache fields parsed from
the messages again), a warning names the file, and other sessions are
served."""

import pytest

from imapclient import RawImap, require_imap

PORTS = ("imap",)

MESSAGES = [
    (b"From: Sender %d <s%d@example.org>\nTo: user@example.com\n"
     b"Subject: message number %d\n"
     b"Date: Mon, 4 Mar 2024 10:%02d:00 +0000\n\n"
     b"body %d\n" % (i, i, i, i, i))
    for i in range(1, 41)
]


def examine(srv):
    """A new session with INBOX examined."""
    user = srv.users["alice"]
    c = RawImap(srv.host, srv.port("imap"))
    c.login(user.name, user.password)
    c.command("EXAMINE INBOX")
    return c


def fetch(c, items):
    untagged, _ = c.command("FETCH 1:* (%s)" % items)
    return untagged


def fetch_in_new_session(srv, items):
    c = examine(srv)
    try:
        return fetch(c, items)
    finally:
        c.close()


def shorten(path):
    with open(path, "r+b") as f:
        f.truncate(0)


def start(factory):
    require_imap("loft")
    return factory.start(kind="loft", ports=PORTS, plaintext=True,
                         messages=MESSAGES)


@pytest.mark.loft_only
def test_index_shortened(server_factory):
    srv = start(server_factory)
    maildir = srv.users["alice"].maildir
    # the first session writes loft.index; the second one's view is the
    # mapped file
    items = "UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)]"
    want = fetch_in_new_session(srv, items)
    assert len(want) == len(MESSAGES)
    index = maildir / "loft.index"
    assert index.stat().st_size > 4096

    c = examine(srv)
    shorten(index)
    # the names are read from the shortened mapping during this command:
    # it ends with a tagged answer, not a lost connection
    tag = c.next_tag()
    c.send("%s FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n" % tag)
    while True:
        line = c.read_response()
        if line.startswith(tag.encode() + b" "):
            break
    assert line.split()[1] in (b"OK", b"NO"), c.trace()
    # the next sync (a FETCH by sequence number may not have one, RFC 3501
    # section 7.4.1) rebuilds the index: every message with its UID, no
    # EXPUNGE
    untagged, _ = c.command("NOOP")
    assert not [l for l in untagged if b"EXPUNGE" in l], c.trace()
    assert fetch(c, items) == want
    c.close()
    assert "loft.index was shortened by another process" in srv.log_text()
    assert index.stat().st_size > 4096
    assert fetch_in_new_session(srv, items) == want


@pytest.mark.loft_only
def test_cache_shortened(server_factory):
    srv = start(server_factory)
    maildir = srv.users["alice"].maildir
    items = "UID ENVELOPE BODYSTRUCTURE"
    want = fetch_in_new_session(srv, items)
    cache = maildir / "loft.cache"
    assert cache.stat().st_size > 4096

    c = examine(srv)
    # from loft.cache, which is mapped now
    assert fetch(c, items) == want
    shorten(cache)
    assert fetch(c, items) == want
    assert fetch(c, items) == want
    c.close()
    assert "loft.cache was shortened by another process" in srv.log_text()
    assert fetch_in_new_session(srv, items) == want
