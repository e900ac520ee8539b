"""SEARCH's fast paths give the answers of the slow ones.

A header search on a message not in loft.cache reads only the message's
header block and stores its header fields in a header-only cache record;
a BODY/TEXT search on a single-part message streams its body without a
MIME pass. These tests put messages that stress both (a header block
larger than one read, a header with no body and no empty line, CRLF and
LF line ends, a multipart with a nested message, encoded words, base64
and quoted-printable bodies) into a mailbox as files and check:
  - every SEARCH answers the known result, the first time (from the
    files), again (from the cache) and in a new session (from loft.cache
    on disk);
  - FETCH ENVELOPE/BODYSTRUCTURE after those searches equals what a server
    that never searched answers (a header-only record never stands in
    for a full one);
  - Debian's Dovecot answers the same searches the same way."""

import pytest

from conftest import SERVER_KIND
from imapclient import RawImap, require_imap
from test_imap_search import SEARCH_RE

PORTS = ("imap",)


def big_header_message():
    filler = "".join("X-Filler-%03d: %s\n" % (i, "f" * 60) for i in range(150))
    return (filler + "From: Big Header <big@example.org>\n"
            "Subject: alpha big header\n\n"
            "body of the big one with needle\n").encode()


MESSAGES = [
    # 1 plain, LF
    b"From: One <one@example.org>\nTo: user@example.com\n"
    b"Subject: alpha first\nDate: Mon, 4 Mar 2024 10:00:00 +0000\n\n"
    b"the NEEDLE is here\n",
    # 2 header block larger than one read
    big_header_message(),
    # 3 header only, no empty line, no final line break
    b"From: Nobody <nobody@example.org>\nSubject: alpha headers only",
    # 4 multipart with the word in its second part and a nested message
    # whose own Subject mentions alpha too (SUBJECT must not see it)
    b"From: Multi <multi@example.org>\nSubject: beta multipart\n"
    b"MIME-Version: 1.0\n"
    b"Content-Type: multipart/mixed; boundary=\"xx\"\n\n"
    b"preamble needle not text\n--xx\nContent-Type: text/plain\n\n"
    b"first part\n--xx\nContent-Type: text/plain\n\nsecond part needle\n"
    b"--xx\nContent-Type: message/rfc822\n\n"
    b"Subject: inner alpha\nFrom: inner@example.org\n\ninner body zebra\n"
    b"--xx--\n",
    # 5 encoded-word subject, base64 UTF-8 body, CRLF
    b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\n"
    b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_alpha?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"R3Jvw59lIE5FRURMRSBhdXMgS8O2bG4K\r\n",
    # 6 quoted-printable ISO-8859-1 body, no Subject
    b"From: Cafe <cafe@example.org>\nMIME-Version: 1.0\n"
    b"Content-Type: text/plain; charset=iso-8859-1\n"
    b"Content-Transfer-Encoding: quoted-printable\n\n"
    b"caf=E9 cr=E8me ne=\nedle\n",
    # 7 8bit UTF-8 body without Content-Type, long enough for several reads
    b"From: Long <long@example.org>\nSubject: gamma\n\n" +
    ("line of text \u00e4\u00f6\u00fc " * 8 + "\n").encode() * 3000 +
    b"the very last word: Omega\xc3\x9f\n",
]

QUERIES = [
    ("SUBJECT alpha", [1, 2, 3, 5]),
    ("SUBJECT \"headers only\"", [3]),
    ("SUBJECT gr\u00fc\u00dfe", [5]),
    ("FROM example.org", [1, 2, 3, 4, 5, 6, 7]),
    ("FROM j\u00fcrgen", [5]),
    ("NOT SUBJECT alpha", [4, 6, 7]),
    ("OR SUBJECT beta SUBJECT gamma", [4, 7]),
    ("SENTON 4-Mar-2024", [1]),
    ("BODY needle", [1, 2, 4, 5, 6]),
    ("BODY zebra", [4]),
    ("BODY \"crème\"", [6]),
    ("BODY omega\u00df", [7]),
    ("BODY \u00c4\u00d6\u00dc", [7]),
    ("TEXT inner", [4]),
    ("TEXT alpha", [1, 2, 3, 4, 5]),
    ("BODY alpha", []),
    ("SUBJECT alpha BODY needle", [1, 2, 5]),
]


def connect(srv):
    user = srv.users["alice"]
    c = RawImap(srv.host, srv.port("imap"))
    try:
        c.login(user.name, user.password)
    except Exception:
        c.close()
        raise
    return c


def search(c, key):
    untagged, _ = c.command("SEARCH " + key)
    found = [m for m in (SEARCH_RE.match(l) for l in untagged) if m]
    assert len(found) == 1, c.trace()
    return [int(n) for n in found[0].group(1).split()]


def search_utf8(c, key):
    if key.isascii():
        return search(c, key)
    # a UTF-8 string goes as a literal
    prefix, _, word = key.rpartition(" ")
    word = word.strip('"').encode("utf-8")
    untagged, _ = c.command("SEARCH CHARSET UTF-8 " + prefix, literal=word)
    found = [m for m in (SEARCH_RE.match(l) for l in untagged) if m]
    assert len(found) == 1, c.trace()
    return [int(n) for n in found[0].group(1).split()]


def all_answers(srv):
    c = connect(srv)
    try:
        c.command("EXAMINE INBOX")
        return {q: search_utf8(c, q) for q, _ in QUERIES}
    finally:
        c.close()


def fetch_all(srv):
    c = connect(srv)
    try:
        c.command("EXAMINE INBOX")
        untagged, _ = c.command("FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)")
        return untagged
    finally:
        c.close()


def start(factory, kind=None):
    kind = kind or SERVER_KIND
    require_imap(kind)
    return factory.start(kind=kind, ports=PORTS, plaintext=True,
                         messages=MESSAGES)


def expected():
    return {q: e for q, e in QUERIES}


def test_first_repeated_and_new_session(server_factory):
    srv = start(server_factory)
    c = connect(srv)
    try:
        c.command("EXAMINE INBOX")
        first = {q: search_utf8(c, q) for q, _ in QUERIES}
        again = {q: search_utf8(c, q) for q, _ in QUERIES}
    finally:
        c.close()
    assert first == expected()
    assert again == expected()
    # a new session reads what the first one left in the cache
    assert all_answers(srv) == expected()


def test_fetch_after_search_equals_fetch_alone(server_factory):
    searched = start(server_factory)
    assert all_answers(searched) == expected()
    fresh = start(server_factory)
    ours = fetch_all(searched)
    assert ours == fetch_all(fresh)
    assert len([l for l in ours if b" FETCH " in l]) == len(MESSAGES)
    # and again, now from full cache records
    assert fetch_all(searched) == ours


def test_header_fields_kept_by_a_search(server_factory):
    """The header fields a first search read are kept in loft.cache: a
    new session answers header searches without opening any message file
    (they are made unreadable)."""
    srv = start(server_factory)
    if srv.kind != "loft":
        pytest.skip("loft.cache is Loft's")
    c = connect(srv)
    try:
        c.command("EXAMINE INBOX")
        assert search(c, "SUBJECT alpha") == [1, 2, 3, 5]
    finally:
        c.close()
    files = srv.users["alice"].message_files()
    for p in files:
        p.chmod(0)
    try:
        c = connect(srv)
        try:
            c.command("EXAMINE INBOX")
            assert search(c, "SUBJECT alpha") == [1, 2, 3, 5]
            assert search_utf8(c, "FROM j\u00fcrgen") == [5]
            assert search(c, "SENTON 4-Mar-2024") == [1]
        finally:
            c.close()
    finally:
        for p in files:
            p.chmod(0o600)


@pytest.mark.dovecot
@pytest.mark.loft_only
def test_same_answers_as_dovecot(server_factory):
    ours = all_answers(start(server_factory))
    theirs = all_answers(start(server_factory, kind="dovecot"))
    assert ours == theirs
