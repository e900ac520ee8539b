"""SEARCH and UID SEARCH through the wire: every search key of RFC 3501 /
RFC 9051 section 6.4.4 against a fixture mailbox with known answers
(flags, keywords, addresses, RFC 2047 subjects, UTF-8, base64 and
quoted-printable bodies in other charsets, attachments, a nested message,
dates in the sender's zone, sizes), sequence sets, NOT/OR/parentheses,
ESEARCH result options (RFC 4731), SAVE and "$" (RFC 5182), MODSEQ (RFC
7162), IMAP4rev2's ESEARCH-only answers, syntax errors, unknown charsets,
a message file deleted during a body search, and a result too long for
one output buffer fill.

The fixture is APPENDed into an empty INBOX, so sequence numbers and
UIDs are 1..7 on any server. LOFT_TEST_SERVER=dovecot runs the same
tests against Debian's Dovecot (checking the expected answers);
test_same_answers_as_dovecot compares the two servers directly."""

import os
import re

import pytest

import loftlib
from conftest import SERVER_KIND
from imapclient import ImapError, RawImap, quote, require_imap
from loftlib import crlf

PORTS = ("imap",)


def b64(text, width=20):
    import base64
    enc = base64.b64encode(text.encode("utf-8")).decode()
    return "\n".join(enc[i:i + width] for i in range(0, len(enc), width))


LARGE_BODY = "".join("filler line %06d of a long message\n" % i
                     for i in range(9000)) + "the UNIQUENEEDLE is here\n"

# (flags, internaldate, message text with LF line ends)
FIXTURE = [
    # 1
    ("\\Seen \\Answered", "01-Jan-2024 12:00:00 +0000",
     "From: Alice Example <alice@example.org>\n"
     "To: Bob <bob@example.com>\n"
     "Cc: Carol <carol@example.net>\n"
     "Subject: Meeting agenda\n"
     "Date: Mon, 01 Jan 2024 10:00:00 +0000\n"
     "\n"
     "Please bring the quarterly numbers.\n"),
    # 2: RFC 2047 subject, 8-bit UTF-8 body
    ("\\Flagged $Work", "10-Feb-2024 12:00:00 +0000",
     "From: Bob <bob@example.com>\n"
     "To: Alice <alice@example.org>\n"
     "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\n"
     "Date: Sat, 10 Feb 2024 09:00:00 +0100\n"
     "MIME-Version: 1.0\n"
     "Content-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: 8bit\n"
     "\n"
     "Schöne Grüße von der Hohe Straße.\n"),
    # 3: base64 body
    ("\\Seen \\Draft", "20-Mar-2024 12:00:00 +0000",
     "From: Dave <dave@example.com>\n"
     "To: Erin <erin@example.com>\n"
     "Bcc: secret-list@example.com\n"
     "Subject: Encoded body\n"
     "Date: Wed, 20 Mar 2024 08:00:00 +0000\n"
     "MIME-Version: 1.0\n"
     "Content-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: base64\n"
     "\n" + b64("The hidden treasure: Ünïcödé gold\n") + "\n"),
    # 4: quoted-printable ISO-8859-1 body, Date late on the 15th at -0500
    ("\\Deleted Project", "15-Mar-2024 12:00:00 +0000",
     "From: Frank <frank@example.com>\n"
     "To: Erin <erin@example.com>\n"
     "Subject: Quoted printable\n"
     "X-Custom: Alpha Beta\n"
     "Date: Fri, 15 Mar 2024 23:30:00 -0500\n"
     "MIME-Version: 1.0\n"
     "Content-Type: text/plain; charset=iso-8859-1\n"
     "Content-Transfer-Encoding: quoted-printable\n"
     "\n"
     "Caf=E9 cr=E8me with a soft=\nbreak in the middle.\n"),
    # 5: multipart with a base64 attachment and a nested message
    ("", "01-Apr-2024 12:00:00 +0000",
     "From: Grace <grace@example.com>\n"
     "To: Erin <erin@example.com>\n"
     "Subject: Multipart report\n"
     "Date: Mon, 01 Apr 2024 08:00:00 +0000\n"
     "MIME-Version: 1.0\n"
     "Content-Type: multipart/mixed; boundary=\"XYZ\"\n"
     "\n"
     "This is the preamble.\n"
     "--XYZ\n"
     "Content-Type: text/plain; charset=us-ascii\n"
     "\n"
     "See the attached report.\n"
     "--XYZ\n"
     "Content-Type: text/plain; name=report.txt\n"
     "Content-Disposition: attachment; filename=report.txt\n"
     "Content-Transfer-Encoding: base64\n"
     "\n" + b64("annual report with the secret-word inside\n") + "\n"
     "--XYZ\n"
     "Content-Type: message/rfc822\n"
     "\n"
     "Subject: Nested subject\n"
     "From: inner@example.com\n"
     "\n"
     "nested body text\n"
     "--XYZ--\n"),
    # 6: large
    ("\\Seen", "02-Apr-2024 12:00:00 +0000",
     "From: Heidi <heidi@example.com>\n"
     "To: Erin <erin@example.com>\n"
     "Subject: Large\n"
     "Date: Tue, 02 Apr 2024 08:00:00 +0000\n"
     "\n" + LARGE_BODY),
    # 7: headers only, no Date:
    ("\\Seen $Work", "03-Apr-2024 12:00:00 +0000",
     "From: Ivan <ivan@example.com>\n"
     "Subject: headers only\n"
     "X-Priority: 1\n"
     "\n"),
]

ALL = list(range(1, 8))

# (search arguments, expected sequence numbers)
QUERIES = [
    ("ALL", ALL),
    ("SEEN", [1, 3, 6, 7]),
    ("UNSEEN", [2, 4, 5]),
    ("ANSWERED", [1]),
    ("UNANSWERED", [2, 3, 4, 5, 6, 7]),
    ("FLAGGED", [2]),
    ("UNFLAGGED", [1, 3, 4, 5, 6, 7]),
    ("DELETED", [4]),
    ("UNDELETED", [1, 2, 3, 5, 6, 7]),
    ("DRAFT", [3]),
    ("UNDRAFT", [1, 2, 4, 5, 6, 7]),
    ("KEYWORD $Work", [2, 7]),
    ("UNKEYWORD $Work", [1, 3, 4, 5, 6]),
    ("KEYWORD Project", [4]),
    ("KEYWORD NoSuchKeyword", []),
    ("UNKEYWORD NoSuchKeyword", ALL),
    ("FROM alice", [1]),
    ("FROM \"ALICE@EXAMPLE.ORG\"", [1]),
    ("TO alice", [2]),
    ("CC carol", [1]),
    ("BCC secret-list", [3]),
    ("SUBJECT agenda", [1]),
    ("SUBJECT \"MEETING AGENDA\"", [1]),
    ("SUBJECT nomatch", []),
    ("HEADER X-Custom beta", [4]),
    ("HEADER X-Priority \"\"", [7]),
    ("HEADER X-Nothing \"\"", []),
    ("BODY quarterly", [1]),
    ("BODY agenda", []),
    ("TEXT agenda", [1]),
    ("TEXT QUARTERLY", [1]),
    ("BODY \"hidden treasure\"", [3]),
    ("BODY softbreak", [4]),
    ("BODY secret-word", [5]),
    ("BODY \"nested body\"", [5]),
    ("BODY \"nested subject\"", []),
    ("TEXT \"nested subject\"", [5]),
    ("BODY preamble", []),
    ("BODY uniqueneedle", [6]),
    ("LARGER 100000", [6]),
    ("SMALLER 100000", [1, 2, 3, 4, 5, 7]),
    ("BEFORE 10-Feb-2024", [1]),
    ("ON 10-Feb-2024", [2]),
    ("SINCE 1-Apr-2024", [5, 6, 7]),
    # no Date: (7) counts as 1-Jan-1970, as in Dovecot
    ("SENTBEFORE 2-Jan-2024", [1, 7]),
    ("SENTON 15-Mar-2024", [4]),
    ("SENTON 16-Mar-2024", []),
    ("SENTSINCE 1-Apr-2024", [5, 6]),
    ("2:4", [2, 3, 4]),
    ("*", [7]),
    ("5:*", [5, 6, 7]),
    ("1,3,5", [1, 3, 5]),
    ("100", []),
    ("UID 2:3", [2, 3]),
    ("UID 100:*", [7]),
    ("OR FLAGGED DRAFT", [2, 3]),
    ("NOT SEEN", [2, 4, 5]),
    ("NOT NOT SEEN", [1, 3, 6, 7]),
    ("(SEEN LARGER 1000)", [6]),
    ("OR (FROM alice) (KEYWORD Project)", [1, 4]),
    ("OR SUBJECT agenda BODY uniqueneedle", [1, 6]),
    ("seen flagged", []),
    ("SEEN NOT BODY quarterly", [3, 6, 7]),
    ("OLD", None),  # \Recent depends on the session: only the syntax
    ("NEW", None),
    ("RECENT", None),
]

# non-ASCII search strings, sent as literals with CHARSET UTF-8
UTF8_QUERIES = [
    ("SUBJECT", "grüße aus köln", [2]),
    ("BODY", "STRASSE", []),
    ("BODY", "Straße", [2]),
    ("BODY", "SCHÖNE GRÜSSE", []),
    ("BODY", "SCHÖNE GRÜ", [2]),
    ("BODY", "ünïcödé gold", [3]),
    ("BODY", "café crème", [4]),
    ("TEXT", "köln", [2]),
]


def connect(srv, user):
    c = RawImap(srv.host, srv.port("imap"))
    try:
        c.login(user.name, user.password)
    except Exception:
        c.close()
        raise
    return c


def append_fixture(c):
    for flags, date, text in FIXTURE:
        data = crlf(text.encode("utf-8"))
        c.command("APPEND INBOX (%s) \"%s\"" % (flags, date), literal=data)


def start(factory, kind=None):
    kind = kind or SERVER_KIND
    require_imap(kind)
    srv = factory.start(kind=kind, ports=PORTS, plaintext=True, messages=[])
    c = connect(srv, srv.users["alice"])
    append_fixture(c)
    c.close()
    return srv


@pytest.fixture(scope="module")
def imap_server(module_factory):
    return start(module_factory)


@pytest.fixture
def client(imap_server):
    c = connect(imap_server, imap_server.users["alice"])
    c.command("SELECT INBOX")
    yield c
    c.close()


SEARCH_RE = re.compile(rb"^\* SEARCH((?: \d+)*)(?: \(MODSEQ (\d+)\))?$")


def search(c, args, uid=False):
    """The numbers of the one "* SEARCH" response."""
    untagged, _ = c.command(("UID SEARCH " if uid else "SEARCH ") + args)
    found = [SEARCH_RE.match(line) for line in untagged]
    found = [m for m in found if m]
    assert len(found) == 1, c.trace()
    return [int(n) for n in found[0].group(1).split()]


def esearch_lines(untagged):
    return [line for line in untagged if line.startswith(b"* ESEARCH")]


@pytest.mark.parametrize("args,expected", QUERIES,
                         ids=[q[0] for q in QUERIES])
def test_search_key(client, args, expected):
    got = search(client, args)
    if expected is not None:
        assert got == expected, client.trace()


@pytest.mark.parametrize("key,text,expected", UTF8_QUERIES,
                         ids=[q[1] for q in UTF8_QUERIES])
def test_search_utf8(client, key, text, expected):
    data = text.encode("utf-8")
    untagged, _ = client.command("SEARCH CHARSET UTF-8 %s" % key,
                                 literal=data)
    m = [SEARCH_RE.match(line) for line in untagged]
    m = [x for x in m if x]
    assert len(m) == 1, client.trace()
    assert [int(n) for n in m[0].group(1).split()] == expected, client.trace()


def test_uid_search(client):
    assert search(client, "ALL", uid=True) == ALL
    assert search(client, "UID 3:5 SEEN", uid=True) == [3]
    assert search(client, "2:3", uid=True) == [2, 3]


def test_charset_us_ascii(client):
    assert search(client, "CHARSET US-ASCII SUBJECT agenda") == [1]
    assert search(client, "charset utf-8 SUBJECT agenda") == [1]


def test_unknown_charset(client):
    with pytest.raises(ImapError) as e:
        client.command("SEARCH CHARSET X-NO-SUCH-CHARSET ALL")
    line = e.value.args[0]
    assert b" NO [BADCHARSET" in line, client.trace()


@pytest.mark.parametrize("args", [
    "", "FOO", "SUBJECT", "HEADER X-Custom", "BEFORE 1-Foo-2024",
    "SINCE 2024-01-01", "LARGER abc", "0", "1:", "UID x", "OR SEEN",
    "NOT", "RETURN (FOO) ALL", "KEYWORD", "MODSEQ x", "ALL)", "(ALL",
])
def test_bad_syntax(client, args):
    with pytest.raises(ImapError) as e:
        client.command("SEARCH " + args)
    assert b" BAD " in e.value.args[0], client.trace()
    # the session goes on
    assert search(client, "FLAGGED") == [2]


def test_esearch(client):
    untagged, _ = client.command("SEARCH RETURN (MIN MAX COUNT ALL) SEEN")
    tag = client.trace().splitlines()[-1].split()[1]
    assert esearch_lines(untagged) == [
        b'* ESEARCH (TAG "%s") MIN 1 MAX 7 ALL 1,3,6:7 COUNT 4' % tag.encode()
    ], client.trace()

    untagged, _ = client.command("UID SEARCH RETURN () UNSEEN")
    lines = esearch_lines(untagged)
    assert len(lines) == 1 and lines[0].endswith(b") UID ALL 2,4:5"), \
        client.trace()

    untagged, _ = client.command("SEARCH RETURN (COUNT) NOT ALL")
    lines = esearch_lines(untagged)
    assert len(lines) == 1 and lines[0].endswith(b") COUNT 0"), \
        client.trace()

    untagged, _ = client.command("SEARCH RETURN (MIN) NOT ALL")
    lines = esearch_lines(untagged)
    assert len(lines) == 1 and lines[0].endswith(b'")'), client.trace()

    untagged, _ = client.command("SEARCH RETURN (MAX) FLAGGED")
    assert esearch_lines(untagged)[0].endswith(b") MAX 2"), client.trace()
    # no plain SEARCH response with RETURN
    assert not any(l.startswith(b"* SEARCH") for l in untagged)


def test_searchres(client):
    # SAVE alone: no ESEARCH response (RFC 5182 section 2.4)
    untagged, _ = client.command("SEARCH RETURN (SAVE) OR FLAGGED DRAFT")
    assert esearch_lines(untagged) == [], client.trace()
    assert search(client, "$") == [2, 3]
    assert search(client, "$", uid=True) == [2, 3]
    assert search(client, "UID $") == [2, 3]
    assert search(client, "OR $ DELETED") == [2, 3, 4]
    assert search(client, "NOT $") == [1, 4, 5, 6, 7]
    # SAVE with MIN alone keeps only the minimum
    untagged, _ = client.command("SEARCH RETURN (SAVE MIN) UNSEEN")
    assert esearch_lines(untagged)[0].endswith(b") MIN 2"), client.trace()
    assert search(client, "$") == [2]
    # SAVE with ALL keeps everything
    client.command("UID SEARCH RETURN (SAVE ALL) UNSEEN")
    assert search(client, "$") == [2, 4, 5]
    # a failed SEARCH with SAVE empties $ (RFC 5182 section 2.1; Dovecot
    # keeps the old result after a BAD)
    with pytest.raises(ImapError):
        client.command("SEARCH RETURN (SAVE) FOO")
    if SERVER_KIND == "loft":
        assert search(client, "$") == []
    # a new SELECT forgets it
    client.command("SEARCH RETURN (SAVE) ALL")
    client.command("SELECT INBOX")
    assert search(client, "$") == []


def test_modseq(client):
    untagged, _ = client.command("SEARCH MODSEQ 1")
    highest = [re.search(rb"HIGHESTMODSEQ (\d+)", l) for l in untagged]
    highest = [int(m.group(1)) for m in highest if m]
    found = [SEARCH_RE.match(l) for l in untagged]
    found = [m for m in found if m]
    assert len(found) == 1, client.trace()
    assert [int(n) for n in found[0].group(1).split()] == ALL
    modseq = int(found[0].group(2))
    assert modseq >= 1
    if highest:  # first CONDSTORE use in the session
        assert highest[0] >= modseq
    untagged, _ = client.command("SEARCH MODSEQ %d" % (modseq + 1))
    assert any(l == b"* SEARCH" for l in untagged), client.trace()
    untagged, _ = client.command(
        'SEARCH MODSEQ "/flags/\\\\seen" all %d SEEN' % modseq)
    found = [SEARCH_RE.match(l) for l in untagged]
    found = [m for m in found if m]
    assert found and found[0].group(2) is not None, client.trace()
    untagged, _ = client.command("SEARCH RETURN (COUNT) MODSEQ 1")
    assert re.search(rb"\) COUNT 7 MODSEQ \d+$", esearch_lines(untagged)[0]), \
        client.trace()


def test_imap4rev2_always_esearch(imap_server):
    c = connect(imap_server, imap_server.users["alice"])
    try:
        untagged, _ = c.command("ENABLE IMAP4rev2")
        if not any(b"IMAP4REV2" in l.upper() for l in untagged):
            pytest.skip("server does not enable IMAP4rev2")
        c.command("SELECT INBOX")
        untagged, _ = c.command("SEARCH FLAGGED")
        assert not any(l.startswith(b"* SEARCH") for l in untagged)
        lines = esearch_lines(untagged)
        assert len(lines) == 1 and lines[0].endswith(b") ALL 2"), c.trace()
        untagged, _ = c.command("SEARCH NOT ALL")
        lines = esearch_lines(untagged)
        assert len(lines) == 1 and lines[0].endswith(b'")'), c.trace()
    finally:
        c.close()


def test_not_selected(imap_server):
    c = connect(imap_server, imap_server.users["alice"])
    try:
        with pytest.raises(ImapError) as e:
            c.command("SEARCH ALL")
        assert b" BAD " in e.value.args[0] or b" NO " in e.value.args[0]
    finally:
        c.close()


def test_message_file_vanished(server_factory):
    """A message file deleted behind the server's back during a body
    search is skipped; the session stays usable (RFC 3501 allows leaving
    such a message out)."""
    srv = start(server_factory)
    user = srv.users["alice"]
    c = connect(srv, user)
    try:
        c.command("SELECT INBOX")
        victim = [p for p in user.message_files()
                  if b"quarterly" in p.read_bytes()]
        assert len(victim) == 1
        victim[0].unlink()
        untagged, _ = c.command("SEARCH BODY quarterly", check=False)
        assert not any(l.startswith(b"* BYE") for l in untagged), c.trace()
        found = [SEARCH_RE.match(l) for l in untagged]
        found = [m for m in found if m]
        if found:
            assert found[0].group(1).split() in ([], [b"1"]), c.trace()
        assert search(c, "BODY uniqueneedle", uid=True) == [6]
    finally:
        c.close()


def test_long_result_streamed(server_factory):
    """A result longer than several output chunks arrives whole and in
    order, as one response line."""
    count = 12000
    msgs = [("Subject: n%d\nFrom: x@example.com\n\nb\n" % i).encode()
            for i in range(count)]
    srv = server_factory.start(ports=PORTS, plaintext=True, messages=msgs)
    require_imap(srv.kind)
    c = connect(srv, srv.users["alice"])
    try:
        c.command("EXAMINE INBOX")
        got = search(c, "ALL")
        assert got == list(range(1, count + 1))
        got = search(c, "ALL", uid=True)
        assert len(got) == count and got == sorted(got)
        untagged, _ = c.command("SEARCH RETURN (ALL COUNT) NOT 2")
        assert esearch_lines(untagged)[0].endswith(
            b") ALL 1,3:%d COUNT %d" % (count, count - 1))
    finally:
        c.close()


COMPARE = [q[0] for q in QUERIES if q[1] is not None] + [
    "RETURN (MIN MAX COUNT ALL) UNSEEN", "RETURN (COUNT) BODY e",
    "TEXT example", "BODY the", "FROM example.com", "HEADER Subject e",
    "OR OR SEEN DRAFT LARGER 500", "SENTSINCE 15-Mar-2024",
    "SENTBEFORE 15-Mar-2024", "SINCE 15-Mar-2024", "BEFORE 15-Mar-2024",
]


def answers(srv):
    c = connect(srv, srv.users["alice"])
    out = {}
    try:
        c.command("EXAMINE INBOX")
        for q in COMPARE:
            untagged, tagged = c.command("SEARCH " + q, check=False)
            lines = [re.sub(rb'\(TAG "[^"]*"\)', b"(TAG)", l)
                     for l in untagged
                     if l.startswith((b"* SEARCH", b"* ESEARCH"))]
            out[q] = (lines, tagged.split(b" ", 2)[1])
    finally:
        c.close()
    return out


@pytest.mark.dovecot
@pytest.mark.loft_only
def test_same_answers_as_dovecot(server_factory, imap_server):
    """Debian's Dovecot, given the same APPENDs, answers every query the
    same way."""
    dovecot = start(server_factory, kind="dovecot")
    theirs = answers(dovecot)
    ours = answers(imap_server)
    diff = {q: (ours[q], theirs[q]) for q in COMPARE if ours[q] != theirs[q]}
    assert not diff
