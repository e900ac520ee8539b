"""ENVELOPE, BODYSTRUCTURE and BODY computed by Loft's MIME parser
(src/mail, through tests/unit/mail/mime-dump) must equal, byte for byte,
what Debian's Dovecot answers over IMAP for the same messages: the corpus
in data/mime/ (multipart/mixed, alternative, related, digest, nested
message/rfc822, broken and missing boundaries, groups, route addresses,
comments, encoded words, 8-bit and folded headers, RFC 2231 parameters,
missing headers...).  Dovecot serves the corpus from a Maildir; imaplib
FETCHes each item; literals are put back into the raw response bytes."""

import imaplib
import re
import subprocess
from pathlib import Path

import pytest

from conftest import require_dovecot
from loftlib import BUILD_DIR, IO_TIMEOUT, free_port, login_retry  # noqa: F401

pytestmark = pytest.mark.dovecot

CORPUS_DIR = Path(__file__).parent / "data" / "mime"
CORPUS = sorted(CORPUS_DIR.glob("*.eml"))
MIME_DUMP = BUILD_DIR / "tests" / "unit" / "mail" / "mime-dump"
ITEMS = ("ENVELOPE", "BODYSTRUCTURE", "BODY")


def mime_dump(path, chunk=None):
    if not MIME_DUMP.exists():
        pytest.fail("mime-dump not built at %s" % MIME_DUMP, pytrace=False)
    cmd = [str(MIME_DUMP)] + (["-c", str(chunk)] if chunk else []) + [str(path)]
    out = subprocess.run(cmd, check=True, capture_output=True,
                         timeout=IO_TIMEOUT).stdout
    # "ENVELOPE x\nBODYSTRUCTURE y\nBODY z\n"; literals inside x, y, z
    # hold CRLF but never these markers.
    assert out.startswith(b"ENVELOPE ") and out.endswith(b"\n"), out
    env, rest = out[len(b"ENVELOPE "):-1].split(b"\nBODYSTRUCTURE ", 1)
    bs, body = rest.split(b"\nBODY ", 1)
    result = {"ENVELOPE": env, "BODYSTRUCTURE": bs, "BODY": body}
    return result


def raw_fetch(client, seq, item):
    """The raw bytes of `item`'s value in `* seq FETCH (item value)`."""
    typ, data = client.fetch(str(seq), "(%s)" % item)
    assert typ == "OK", data
    raw = b""
    for d in data:
        raw += d[0] + b"\r\n" + d[1] if isinstance(d, tuple) else d
    prefix = b"%d (%s " % (seq, item.encode())
    assert raw.startswith(prefix) and raw.endswith(b")"), raw
    return raw[len(prefix):-1]


def uid_to_index(maildir):
    """Maps UID -> corpus index from dovecot-uidlist (write_maildir names
    message i with M(100000+i))."""
    out = {}
    for line in (maildir / "dovecot-uidlist").read_text().splitlines()[1:]:
        m = re.match(r"(\d+) .*:\d+\.M(\d+)P", line)
        if m:
            out[int(m.group(1))] = int(m.group(2)) - 100000
    return out


@pytest.fixture(scope="module")
def dovecot_answers(module_factory):
    """{corpus path: {item: raw bytes}} as Dovecot answers them."""
    require_dovecot()
    assert len(CORPUS) >= 30
    messages = [p.read_bytes() for p in CORPUS]
    port = free_port()
    cfg, users = module_factory.world(
        users={"alice": "alice-Secret1"}, messages=messages,
        ports={"imap": port},
        plaintext=True,
        extra=["protocols = imap",
               "service imap-login {",
               "  inet_listener imap {",
               "    port = %d" % port,
               "  }",
               "  inet_listener imaps {",
               "    port = 0",
               "  }",
               "}"])
    srv = module_factory.start_with(cfg, users, kind="dovecot")
    user = users["alice"]
    client = imaplib.IMAP4("127.0.0.1", port, timeout=IO_TIMEOUT)
    try:
        client.login(user.name, user.password)
        typ, data = client.select("INBOX", readonly=True)
        assert typ == "OK" and int(data[0]) == len(CORPUS), data
        typ, data = client.fetch("1:*", "(UID)")
        assert typ == "OK"
        seq_uid = {}
        for d in data:
            m = re.match(rb"(\d+) \(UID (\d+)\)", d)
            seq_uid[int(m.group(1))] = int(m.group(2))
        index = uid_to_index(user.maildir)
        answers = {}
        for seq, uid in seq_uid.items():
            path = CORPUS[index[uid] - 1]
            answers[path] = {item: raw_fetch(client, seq, item)
                             for item in ITEMS}
        client.logout()
    finally:
        module_factory.stop(srv)
    assert len(answers) == len(CORPUS)
    return answers


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_same_as_dovecot(dovecot_answers, path):
    ours = mime_dump(path)
    theirs = dovecot_answers[path]
    for item in ITEMS:
        assert ours[item] == theirs[item], (
            "%s %s differs\n dovecot: %r\n loft:    %r"
            % (path.name, item, theirs[item], ours[item]))


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_chunking_does_not_matter(chunk):
    """The parser is streaming: any chunk size gives the same answers."""
    for path in CORPUS:
        assert mime_dump(path, chunk) == mime_dump(path), path.name
