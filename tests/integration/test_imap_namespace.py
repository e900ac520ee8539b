"""The inbox namespace with a non-empty prefix, as Dovecot serves it.

`namespace inbox { prefix = INBOX. separator = . }` (the layout of older
servers some clients expect) puts every folder under INBOX on the wire
while the Maildir keeps its plain `.Folder` directories; INBOX itself is
the namespace's root and so always has children. A prefix that is not
INBOX's ("Mail/") is a \\Noselect parent of its own and INBOX beside it
can have no children (\\NoInferiors). Names outside the prefix get
Dovecot's "nonexistent namespace" answer.

The INBOX. layout is also run against Debian's Dovecot with the same
config and the answers compared (LIST order aside, which neither server
promises).
"""
import re

import pytest

from imapclient import RawImap, parse_list, require_imap

pytestmark = pytest.mark.loft_only

INBOX_NS = [
    "namespace inbox {",
    "  inbox = yes",
    "  separator = .",
    "  prefix = INBOX.",
    "  mailbox Sent {",
    "    auto = subscribe",
    "    special_use = \\Sent",
    "  }",
    "}",
]

MAIL_NS = [
    "namespace inbox {",
    "  inbox = yes",
    "  separator = /",
    "  prefix = Mail/",
    "}",
]

NONEXISTENT_NS = (b"NO Client tried to access nonexistent namespace. "
                  b"(Mailbox name should probably be prefixed with: %s)")


def start(factory, ns, kind="loft"):
    require_imap(kind)
    return factory.start(kind=kind, ports=("imap", "imaps"), plaintext=True,
                         extra=ns)


def connect(srv, user_name="alice"):
    user = srv.users[user_name]
    c = RawImap(srv.host, srv.port("imap"))
    c.login(user.name, user.password)
    return c


def lists(untagged):
    """{name: attributes} of LIST/LSUB lines (CHILDINFO kept apart)."""
    out = {}
    for line in untagged:
        if not line.startswith((b"* LIST ", b"* LSUB ")):
            continue
        m = re.match(rb"^(.*?)( \(CHILDINFO .*\))?$", line)
        attrs, _, name = parse_list(m.group(1))
        if m.group(2):
            attrs = attrs | {"CHILDINFO"}
        out[name] = attrs
    return out


def untagged_of(c, cmd):
    untagged, _ = c.command(cmd)
    return untagged


# ------------------------------------------------------------- INBOX. ---

def test_namespace_and_list_with_inbox_prefix(server_factory):
    srv = start(server_factory, INBOX_NS)
    c = connect(srv)
    try:
        assert untagged_of(c, "NAMESPACE") == \
            [b'* NAMESPACE (("INBOX." ".")) NIL NIL']
        # INBOX is the namespace root: it has children (Sent at least)
        assert lists(untagged_of(c, 'LIST "" "*"')) == {
            "INBOX": {"\\HasChildren"},
            "INBOX.Sent": {"\\HasNoChildren", "\\Sent"},
        }
        assert lists(untagged_of(c, 'LIST "" "%"')) == {
            "INBOX": {"\\HasChildren"}}
        assert lists(untagged_of(c, 'LIST "" "INBOX.%"')) == {
            "INBOX.Sent": {"\\HasNoChildren", "\\Sent"}}
        assert lists(untagged_of(c, 'LIST "INBOX." "%"')) == {
            "INBOX.Sent": {"\\HasNoChildren", "\\Sent"}}

        c.command("CREATE INBOX.Foo.Bar")
        # Maildir++ has no INBOX.Foo then: a \Noselect parent
        assert lists(untagged_of(c, 'LIST "" "*"')) == {
            "INBOX": {"\\HasChildren"},
            "INBOX.Foo": {"\\Noselect", "\\HasChildren"},
            "INBOX.Foo.Bar": {"\\HasNoChildren"},
            "INBOX.Sent": {"\\HasNoChildren", "\\Sent"},
        }
        assert lists(untagged_of(c, 'LIST "" "%.%"')) == {
            "INBOX.Foo": {"\\Noselect", "\\HasChildren"},
            "INBOX.Sent": {"\\HasNoChildren", "\\Sent"},
        }
        assert lists(untagged_of(c, 'LIST "" "*" RETURN ()')) == {
            "INBOX": set(), "INBOX.Foo": {"\\NonExistent"},
            "INBOX.Foo.Bar": set(), "INBOX.Sent": set()}

        # the prefix lives on the wire only: the Maildir is plain Maildir++
        maildir = srv.users["alice"].home / "Maildir"
        assert (maildir / ".Foo.Bar" / "cur").is_dir()
        assert not any(p.name.startswith(".INBOX")
                       for p in maildir.iterdir())

        c.command("SELECT INBOX.Foo.Bar")
        _, tagged = c.command("SELECT Foo", check=False)
        assert tagged.split(b" ", 1)[1] == NONEXISTENT_NS % b"INBOX.", tagged
        _, tagged = c.command("CREATE Other", check=False)
        assert b" NO " in tagged, tagged
        assert not (maildir / ".Other").exists()
    finally:
        c.close()


def test_lsub_and_recursivematch_see_inbox_as_parent(server_factory):
    srv = start(server_factory, INBOX_NS)
    c = connect(srv)
    try:
        c.command("CREATE INBOX.Foo")
        c.command("SUBSCRIBE INBOX.Foo")
        # RFC 3501 section 6.3.9: the unsubscribed parent of a subscribed
        # mailbox that "%" does not reach is listed \Noselect
        assert lists(untagged_of(c, 'LSUB "" "%"')) == {
            "INBOX": {"\\Noselect"}}
        assert set(lists(untagged_of(c, 'LSUB "" "*"'))) == {
            "INBOX.Foo", "INBOX.Sent"}
        # RFC 5258 section 3.5: CHILDINFO for the parent
        assert lists(untagged_of(
            c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')) == {
                "INBOX": {"CHILDINFO"}}
        c.command("SUBSCRIBE INBOX")
        assert lists(untagged_of(c, 'LSUB "" "%"')) == {"INBOX": set()}
        assert lists(untagged_of(
            c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')) == {
                "INBOX": {"\\Subscribed", "CHILDINFO"}}
        assert lists(untagged_of(
            c, 'LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN)')) == {
                "INBOX": {"\\Subscribed", "\\HasChildren"},
                "INBOX.Foo": {"\\Subscribed", "\\HasNoChildren"},
                "INBOX.Sent": {"\\Subscribed", "\\HasNoChildren"}}
    finally:
        c.close()


# The commands whose answers are compared with Dovecot's. Autosubscribed
# mailboxes are left subscribed: Dovecot keeps them subscribed whatever the
# client says, which is not what this file is about.
COMPARED = [
    "NAMESPACE",
    'LIST "" "*"',
    'LIST "" "%"',
    'LIST "" "INBOX"',
    'LIST "" "INBOX.%"',
    'LIST "INBOX." "*"',
    'LIST "" "*" RETURN (CHILDREN)',
    'LIST "" "%" RETURN ()',
    'LSUB "" "*"',
    "CREATE INBOX.Foo.Bar",
    "SUBSCRIBE INBOX.Foo.Bar",
    'LIST "" "*"',
    'LIST "" "%.%"',
    'LIST "" "INBOX.%.%"',
    'LSUB "" "%"',
    'LSUB "" "*"',
    'LIST (SUBSCRIBED) "" "*"',
    'LIST (SPECIAL-USE) "" "*"',
    "STATUS INBOX.Foo.Bar (MESSAGES)",
    "SELECT Foo",
    "STATUS Foo (MESSAGES)",
    "RENAME INBOX.Foo INBOX.Baz",
    'LIST "" "*"',
    "DELETE INBOX.Baz.Bar",
    'LIST "" "INBOX.%"',
]


def transcript(srv):
    """Per command: (sorted untagged LIST/LSUB/NAMESPACE/STATUS lines,
    tagged status word, tagged text without Dovecot's timing)."""
    c = connect(srv)
    out = []
    try:
        for cmd in COMPARED:
            untagged, tagged = c.command(cmd, check=False)
            keep = sorted(l for l in untagged if l.startswith(
                (b"* LIST", b"* LSUB", b"* NAMESPACE", b"* STATUS")))
            parts = tagged.split(b" ", 2)
            status = parts[1]
            text = parts[2] if len(parts) > 2 else b""
            text = re.sub(rb" \(\d+\.\d+ \+ \d+\.\d+( \+ \d+\.\d+)? secs\)",
                          b"", text)
            out.append((cmd, keep, status,
                        text if status != b"OK" else b""))
    finally:
        c.close()
    return out


def test_inbox_prefix_answers_match_dovecot(server_factory):
    loft = transcript(start(server_factory, INBOX_NS))
    dovecot = transcript(start(server_factory, INBOX_NS, kind="dovecot"))
    assert len(loft) == len(dovecot) == len(COMPARED)
    for mine, ref in zip(loft, dovecot):
        cmd = mine[0]
        assert mine[1] == ref[1], (cmd, mine, ref)
        assert mine[2] == ref[2], (cmd, mine, ref)
        if cmd.startswith(("SELECT Foo", "STATUS Foo")):
            # Dovecot's text for a name outside the namespace, to the dot
            assert mine[3].rstrip(b".") == ref[3].rstrip(b"."), \
                (cmd, mine, ref)


# -------------------------------------------------------------- Mail/ ---

def test_mail_prefix_is_a_noselect_parent(server_factory):
    srv = start(server_factory, MAIL_NS)
    c = connect(srv)
    try:
        assert untagged_of(c, "NAMESPACE") == \
            [b'* NAMESPACE (("Mail/" "/")) NIL NIL']
        # INBOX is outside the prefix and cannot have children there
        assert lists(untagged_of(c, 'LIST "" "%"')) == {
            "INBOX": {"\\NoInferiors"},
            "Mail": {"\\Noselect", "\\HasChildren"}}
        c.command("CREATE Mail/Foo")
        assert (srv.users["alice"].home / "Maildir" / ".Foo").is_dir()
        assert lists(untagged_of(c, 'LIST "" "*"')) == {
            "INBOX": {"\\NoInferiors"},
            "Mail": {"\\Noselect", "\\HasChildren"},
            "Mail/Foo": {"\\HasNoChildren"}}
        assert lists(untagged_of(c, 'LIST "" "Mail/%"')) == {
            "Mail/Foo": {"\\HasNoChildren"}}
        # extended LIST: the prefix is \NonExistent (RFC 5258 section 3.4)
        assert lists(untagged_of(c, 'LIST "" "Mail" RETURN (CHILDREN)')) \
            == {"Mail": {"\\NonExistent", "\\HasChildren"}}
        c.command("SUBSCRIBE Mail/Foo")
        assert lists(untagged_of(c, 'LSUB "" "%"')) == {
            "Mail": {"\\Noselect"}}
        assert lists(untagged_of(
            c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')) == {
                "Mail": {"\\NonExistent", "CHILDINFO"}}
        # nothing is listed twice, and the special-use selection skips it
        assert lists(untagged_of(c, 'LIST (SPECIAL-USE) "" "*"')) == {}
        _, tagged = c.command("SELECT Mail", check=False)
        assert b" NO " in tagged, tagged
        _, tagged = c.command("SELECT Foo", check=False)
        assert tagged.split(b" ", 1)[1] == NONEXISTENT_NS % b"Mail/", tagged
        c.command("SELECT Mail/Foo")
    finally:
        c.close()
