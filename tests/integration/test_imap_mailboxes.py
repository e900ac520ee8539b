"""IMAP mailbox commands through the wire: SELECT and EXAMINE (CONDSTORE,
QRESYNC, [CLOSED]), CREATE (with USE), DELETE, RENAME (children, INBOX),
SUBSCRIBE/UNSUBSCRIBE, LIST and LSUB (wildcards, reference, LIST-EXTENDED
selection and return options, LIST-STATUS, special-use), STATUS, CLOSE,
UNSELECT, EXPUNGE and UID EXPUNGE; modified UTF-7 and UTF-8 names;
special-use mailboxes created from the configuration; LIST and STATUS
answers compared with Debian's Dovecot on the same tree.

Every test runs against Loft; LOFT_TEST_SERVER=dovecot runs them against
Dovecot to check the tests themselves (Loft-only behaviour is marked)."""

import re

import pytest

import loftlib
from imapclient import ImapError, RawImap, parse_list, quote, response_code

NAMESPACE = [
    "namespace inbox {",
    "  inbox = yes",
    "  separator = /",
    "  mailbox Sent {",
    "    auto = subscribe",
    "    special_use = \\Sent",
    "  }",
    "  mailbox Trash {",
    "    auto = create",
    "    special_use = \\Trash",
    "  }",
    "  mailbox Drafts {",
    "    special_use = \\Drafts",
    "  }",
    "}",
]


def start(factory, kind=None):
    return factory.start(kind=kind, ports=("imap",), plaintext=True,
                         extra=NAMESPACE)


@pytest.fixture(scope="module")
def imap_server(module_factory):
    return start(module_factory)


def connect(srv, user):
    def attempt():
        c = RawImap(srv.host, srv.port("imap"))
        try:
            c.login(user.name, user.password)
        except Exception:
            c.close()
            raise
        return c
    return attempt()


@pytest.fixture
def fresh(server_factory):
    """A server of this test's own (the test changes the mailbox tree)."""
    srv = start(server_factory)
    c = connect(srv, srv.users["alice"])
    yield srv, c
    c.close()


def lists(lines, kind="LIST"):
    """{name: attrs} of the LIST/LSUB lines among untagged responses."""
    out = {}
    for line in lines:
        if line.startswith(b"* %s " % kind.encode()):
            # RFC 5258 extended data after the name
            line = re.sub(rb' \(CHILDINFO \([^)]*\)\)$', b"", line)
            attrs, sep, name = parse_list(line)
            out[name] = attrs
    return out


def status_of(lines):
    for line in lines:
        m = re.match(rb"\* STATUS (.*) \(([^)]*)\)$", line)
        if m:
            items = m.group(2).split()
            return {items[i].decode(): int(items[i + 1])
                    for i in range(0, len(items), 2)}
    raise AssertionError("no STATUS in %r" % lines)


def expect_no(c, cmd, code=None):
    with pytest.raises(ImapError) as e:
        c.command(cmd)
    line = e.value.args[0]
    assert line.split(b" ")[1] == b"NO", line
    if code is not None:
        assert response_code(line, code) is not None, line
    return line


def expect_bad(c, cmd):
    with pytest.raises(ImapError) as e:
        c.command(cmd)
    line = e.value.args[0]
    assert line.split(b" ")[1] == b"BAD", line
    return line


def append(c, mailbox, data, flags=""):
    untagged, tagged = c.command("APPEND %s%s" % (
        quote(mailbox), " (%s)" % flags if flags else ""), literal=data)
    return untagged, tagged


# ------------------------------------------------------------------ LIST ---

def test_list_separator_and_autocreated_special_use(imap_server):
    c = connect(imap_server, imap_server.users["alice"])
    untagged, _ = c.command('LIST "" ""')
    assert untagged == [b'* LIST (\\Noselect) "/" ""']
    untagged, _ = c.command('LIST "" "*"')
    boxes = lists(untagged)
    assert set(boxes) == {"INBOX", "Sent", "Trash"}, untagged
    assert "\\Sent" in boxes["Sent"] and "\\HasNoChildren" in boxes["Sent"]
    assert "\\Trash" in boxes["Trash"]
    # Drafts is configured without auto: not created
    untagged, _ = c.command('LSUB "" "*"')
    assert set(lists(untagged, "LSUB")) == {"Sent"}
    c.close()


def test_list_wildcards_and_reference(fresh):
    srv, c = fresh
    for name in ("a/b/c", "a/x", "ab", "INBOX/sub"):
        c.command("CREATE %s" % quote(name))
    boxes = lists(c.command('LIST "" "*"')[0])
    assert {"a", "a/b", "a/b/c", "a/x", "ab", "INBOX/sub"} <= set(boxes)
    assert boxes["a"] >= {"\\Noselect", "\\HasChildren"}
    assert boxes["a/b"] >= {"\\Noselect", "\\HasChildren"}
    assert "\\HasNoChildren" in boxes["a/b/c"]
    assert "\\HasChildren" in boxes["INBOX"]

    assert set(lists(c.command('LIST "" "%"')[0])) == \
        {"INBOX", "Sent", "Trash", "a", "ab"}
    assert set(lists(c.command('LIST "" "a/%"')[0])) == {"a/b", "a/x"}
    assert set(lists(c.command('LIST "a/" "%"')[0])) == {"a/b", "a/x"}
    assert set(lists(c.command('LIST "" "a*"')[0])) == \
        {"a", "a/b", "a/b/c", "a/x", "ab"}
    assert set(lists(c.command('LIST "" "*/c"')[0])) == {"a/b/c"}
    # INBOX in any case (RFC 3501 section 5.1)
    assert set(lists(c.command('LIST "" "inbox"')[0])) == {"INBOX"}
    assert set(lists(c.command('LIST "" "iNbOx/%"')[0])) == {"INBOX/sub"}
    assert lists(c.command('LIST "" "nothing*"')[0]) == {}


def test_list_extended(fresh):
    srv, c = fresh
    c.command("CREATE a/b/c")
    c.command("SUBSCRIBE a/b/c")
    # RFC 5258: nothing beyond what the RETURN options ask for
    boxes = lists(c.command('LIST "" "*" RETURN (CHILDREN SPECIAL-USE '
                            'SUBSCRIBED)')[0])
    assert boxes["Sent"] == {"\\Subscribed", "\\HasNoChildren", "\\Sent"}
    assert boxes["a"] == {"\\NonExistent", "\\HasChildren"}
    assert boxes["a/b/c"] == {"\\Subscribed", "\\HasNoChildren"}
    boxes = lists(c.command('LIST () "" "*"')[0])
    assert boxes["Sent"] == set() and boxes["a"] == {"\\NonExistent"}

    boxes = lists(c.command('LIST (SUBSCRIBED) "" "*"')[0])
    assert set(boxes) == {"Sent", "a/b/c"}
    assert boxes["Sent"] == {"\\Subscribed"}

    boxes = lists(c.command('LIST (SPECIAL-USE) "" "*"')[0])
    assert boxes == {"Sent": {"\\Sent"}, "Trash": {"\\Trash"}}

    untagged, _ = c.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
    assert b'* LIST (\\NonExistent) "/" a (CHILDINFO ("SUBSCRIBED"))' \
        in untagged, untagged
    assert set(lists(untagged)) == {"Sent", "a"}

    assert set(lists(c.command('LIST "" ("Sent" "a/%")')[0])) == \
        {"Sent", "a/b"}
    assert set(lists(c.command('LIST (REMOTE) "" "%"')[0])) == \
        {"INBOX", "Sent", "Trash", "a"}

    for bad in ('LIST (RECURSIVEMATCH) "" "*"', 'LIST (FOO) "" "*"',
                'LIST "" "*" RETURN (FOO)', 'LIST "" "*" RETURN',
                'LIST "" "*" RETURN (STATUS)', 'LIST "" "*" extra',
                'LIST ""', 'LIST', 'LSUB (SUBSCRIBED) "" "*"'):
        expect_bad(c, bad)


def test_list_status(fresh):
    srv, c = fresh
    u = srv.users["alice"]
    untagged, _ = c.command('LIST "" "%" RETURN (STATUS (MESSAGES UNSEEN '
                            'UIDNEXT SIZE))')
    # each LIST line of a selectable mailbox is followed by its STATUS
    names = []
    for i, line in enumerate(untagged):
        if line.startswith(b"* LIST "):
            name = parse_list(line)[2]
            names.append(name)
            assert untagged[i + 1].startswith(b"* STATUS "), untagged
    assert set(names) == {"INBOX", "Sent", "Trash"}
    inbox = [untagged[i + 1] for i, line in enumerate(untagged)
             if line.startswith(b"* LIST ") and parse_list(line)[2] == "INBOX"]
    st = status_of(inbox)
    assert st == {"MESSAGES": 6, "UIDNEXT": 7, "UNSEEN": 3,
                  "SIZE": sum(loftlib.wire_size(m) for m in u.messages)}


def test_list_large_tree_streamed(fresh):
    srv, c = fresh
    # more LIST output than one output buffer holds
    names = ["folder-%04d-%s" % (i, "x" * 200) for i in range(1500)]
    root = srv.users["alice"].maildir
    for n in names:
        for sub in ("cur", "new", "tmp"):
            (root / ("." + n) / sub).mkdir(parents=True)
    loftlib.chown_tree(root, *loftlib.mail_owner()[:2])
    untagged, _ = c.command('LIST "" "*"')
    assert set(names) <= set(lists(untagged))
    c.command("NOOP")


# ----------------------------------------------------- CREATE DELETE RENAME ---

def test_create(fresh):
    srv, c = fresh
    c.command("CREATE new1")
    assert "\\HasNoChildren" in lists(c.command('LIST "" new1')[0])["new1"]
    expect_no(c, "CREATE new1", "ALREADYEXISTS")
    expect_no(c, "CREATE INBOX", "ALREADYEXISTS")
    expect_no(c, "CREATE inbox", "ALREADYEXISTS")
    # a trailing separator declares a hierarchy: the mailbox is created
    c.command("CREATE parent/")
    assert "parent" in lists(c.command('LIST "" "parent"')[0])
    # RFC 6154 CREATE-SPECIAL-USE
    c.command("CREATE Archive (USE (\\Archive))")
    assert (srv.users["alice"].maildir / ".Archive" / "cur").is_dir()
    expect_bad(c, "CREATE")
    # Dovecot's rules and texts for names it refuses
    for name, text in (("/abs", b"Begins with hierarchy separator"),
                       ("x//y", b"Has adjacent hierarchy separators"),
                       ("~tilde", b"Begins with '~'"),
                       ("x..y", b"Character not allowed in mailbox name: '.'")):
        line = expect_no(c, "CREATE %s" % quote(name), "CANNOT")
        assert text in line, line
    assert not [p for p in srv.users["alice"].maildir.iterdir()
                if "abs" in p.name or "tilde" in p.name or ".x" in p.name]


@pytest.mark.loft_only
def test_create_unknown_special_use_refused(fresh):
    srv, c = fresh
    expect_no(c, "CREATE x (USE (\\Foo))", "USEATTR")
    expect_bad(c, "CREATE x (USE)")
    assert lists(c.command('LIST "" x')[0]) == {}


def test_mailbox_names_mutf7_and_utf8(fresh):
    srv, c = fresh
    c.command('CREATE "Gr&APwA3w-e"')
    maildir = srv.users["alice"].maildir
    assert (maildir / ".Gr&APwA3w-e" / "cur").is_dir()
    assert "Gr&APwA3w-e" in lists(c.command('LIST "" "Gr*"')[0])
    # not canonical modified UTF-7: refused, nothing created
    for bad in ('"Foo&AOQ"', '"&AGE-"', '"a&Jjo"', '"&Jjo-&Jjo-"'):
        with pytest.raises(ImapError) as e:
            c.command("CREATE %s" % bad)
        assert e.value.args[0].split(b" ")[1] in (b"NO", b"BAD")
    assert not [p for p in maildir.iterdir() if "Foo" in p.name]


@pytest.mark.loft_only
def test_mailbox_names_utf8_accept(fresh):
    srv, c = fresh
    maildir = srv.users["alice"].maildir
    c.command('CREATE "Gr&APwA3w-e"')
    # the same mailbox in UTF-8 once UTF8=ACCEPT is enabled (RFC 6855)
    c2 = connect(srv, srv.users["alice"])
    c2.command("ENABLE UTF8=ACCEPT")
    untagged, _ = c2.command('LIST "" "Gr*"')
    assert any("Grüße".encode() in l for l in untagged), untagged
    c2.send("X1 CREATE \"Köln\"\r\n".encode())
    line = c2.read_response()
    assert line.startswith(b"X1 OK"), line
    assert (maildir / ".K&APY-ln" / "cur").is_dir()
    assert "K&APY-ln" in lists(c.command('LIST "" "K*"')[0])
    # 8-bit bytes are not a name before UTF8=ACCEPT
    c.send("X2 CREATE \"Köln2\"\r\n".encode())
    line = c.read_response()
    assert line.split(b" ")[1] in (b"NO", b"BAD"), line
    c2.close()


def test_delete(fresh):
    srv, c = fresh
    maildir = srv.users["alice"].maildir
    expect_no(c, "DELETE INBOX")
    expect_no(c, "DELETE nonexist", "NONEXISTENT")
    c.command("CREATE a/b/c")
    # a \Noselect parent does not exist for DELETE
    expect_no(c, "DELETE a", "NONEXISTENT")
    c.command("CREATE todelete")
    append(c, "todelete", b"Subject: x\r\n\r\nbody\r\n")
    c.command("DELETE todelete")
    assert not (maildir / ".todelete").exists()
    assert "todelete" not in lists(c.command('LIST "" "*"')[0])
    c.command("DELETE a/b/c")
    boxes = lists(c.command('LIST "" "*"')[0])
    assert "a/b/c" not in boxes and "a" not in boxes
    expect_bad(c, "DELETE")


@pytest.mark.loft_only
def test_delete_selected_mailbox(fresh):
    """Dovecot disconnects ("* BYE Selected mailbox was deleted"); Loft
    closes the mailbox and stays connected."""
    srv, c = fresh
    c.command("CREATE sel")
    c.command("SELECT sel")
    c.command("DELETE sel")
    # no longer selected
    expect_bad(c, "CLOSE")


def test_rename(fresh):
    srv, c = fresh
    maildir = srv.users["alice"].maildir
    c.command("CREATE a/b")
    c.command("CREATE a/b/c")
    append(c, "a/b", b"Subject: one\r\n\r\n1\r\n")
    st = status_of(c.command("STATUS a/b (UIDVALIDITY UIDNEXT MESSAGES)")[0])
    c.command("SUBSCRIBE a/b/c")
    c.command("RENAME a/b x/y")
    boxes = lists(c.command('LIST "" "*"')[0])
    assert {"x/y", "x/y/c"} <= set(boxes)
    assert "a/b" not in boxes and "a/b/c" not in boxes
    assert status_of(c.command("STATUS x/y (UIDVALIDITY UIDNEXT MESSAGES)")
                     [0]) == st
    assert (maildir / ".x.y.c" / "cur").is_dir()
    # as Dovecot: subscriptions keep the old names (RFC 3501 lets a
    # subscription outlive its mailbox)
    assert "a/b/c" in lists(c.command('LSUB "" "*"')[0], "LSUB")
    c.command("CREATE other")
    expect_no(c, "RENAME other x/y", "ALREADYEXISTS")
    expect_no(c, "RENAME nonexist zz", "NONEXISTENT")
    expect_no(c, "RENAME other INBOX")
    expect_no(c, "RENAME x/y x/y/z")
    expect_bad(c, "RENAME other")


@pytest.mark.loft_only
def test_rename_inbox_moves_messages(fresh):
    srv, c = fresh
    c.command("CREATE INBOX/keep")
    c.command("RENAME INBOX old-inbox")
    st = status_of(c.command("STATUS old-inbox (MESSAGES)")[0])
    assert st["MESSAGES"] == 6
    st = status_of(c.command("STATUS INBOX (MESSAGES)")[0])
    assert st["MESSAGES"] == 0
    assert "INBOX/keep" in lists(c.command('LIST "" "*"')[0])


# ------------------------------------------------------ SUBSCRIBE / LSUB ---

def test_subscribe_and_lsub(fresh):
    srv, c = fresh
    expect_no(c, "SUBSCRIBE nonexist")
    c.command("UNSUBSCRIBE nonexist")
    c.command("CREATE a/b/c")
    c.command("SUBSCRIBE a/b/c")
    untagged, _ = c.command('LSUB "" "%"')
    lsub = lists(untagged, "LSUB")
    assert lsub["a"] == {"\\Noselect"}, untagged
    assert "a/b/c" not in lsub
    lsub = lists(c.command('LSUB "" "*"')[0], "LSUB")
    assert set(lsub) == {"Sent", "a/b/c"}
    subs = (srv.users["alice"].maildir / "subscriptions").read_text()
    assert "a\tb\tc" in subs or "a.b.c" in subs
    c.command("UNSUBSCRIBE a/b/c")
    assert set(lists(c.command('LSUB "" "*"')[0], "LSUB")) == {"Sent"}
    # a subscription outlives its mailbox (RFC 3501 section 6.3.4)
    c.command("SUBSCRIBE a/b/c")
    c.command("DELETE a/b/c")
    assert "a/b/c" in lists(c.command('LSUB "" "*"')[0], "LSUB")
    boxes = lists(c.command('LIST (SUBSCRIBED) "" "*"')[0])
    assert boxes["a/b/c"] == {"\\NonExistent", "\\Subscribed"}


# ---------------------------------------------------------------- STATUS ---

def test_status(imap_server):
    u = imap_server.users["bob"]
    c = connect(imap_server, u)
    st = status_of(c.command("STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY "
                             "UNSEEN SIZE HIGHESTMODSEQ)")[0])
    assert st["MESSAGES"] == 6 and st["UIDNEXT"] == 7 and st["UNSEEN"] == 3
    assert st["SIZE"] == sum(loftlib.wire_size(m) for m in u.messages)
    assert st["UIDVALIDITY"] > 0 and st["HIGHESTMODSEQ"] >= 1
    c.command("SELECT INBOX")
    untagged, tagged = c.command("STATUS INBOX (UIDVALIDITY)")
    assert status_of(untagged)["UIDVALIDITY"] == st["UIDVALIDITY"]
    # allowed, but RFC 3501 section 6.3.10 advises against it
    assert response_code(tagged, "CLIENTBUG") is not None, tagged
    st = status_of(c.command("STATUS Trash (MESSAGES UIDNEXT)")[0])
    assert st == {"MESSAGES": 0, "UIDNEXT": 1}
    expect_no(c, "STATUS nonexist (MESSAGES)")
    for bad in ("STATUS INBOX (FOO)", "STATUS INBOX ()",
                "STATUS INBOX MESSAGES", "STATUS INBOX", "STATUS"):
        expect_bad(c, bad)
    c.close()


@pytest.mark.loft_only
def test_status_deleted(fresh):
    srv, c = fresh
    c.command("CREATE d")
    append(c, "d", b"Subject: a\r\n\r\na\r\n", "\\Deleted")
    append(c, "d", b"Subject: b\r\n\r\nb\r\n")
    st = status_of(c.command("STATUS d (MESSAGES DELETED)")[0])
    assert st == {"MESSAGES": 2, "DELETED": 1}


# --------------------------------------------------------- SELECT EXAMINE ---

def test_select_and_examine(imap_server):
    c = connect(imap_server, imap_server.users["carol"])
    untagged, tagged = c.command("SELECT INBOX")
    assert response_code(tagged, "READ-WRITE") is not None, tagged
    assert tagged.endswith(b"Select completed.") or b"Select completed" \
        in tagged
    assert untagged[0].startswith(b"* FLAGS (\\Answered \\Flagged \\Deleted "
                                  b"\\Seen \\Draft")
    assert b"* 6 EXISTS" in untagged
    assert any(l.startswith(b"* OK [PERMANENTFLAGS (") and b"\\*" in l
               for l in untagged)
    codes = {}
    for l in untagged:
        for code in ("UNSEEN", "UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ"):
            v = response_code(l, code)
            if v is not None:
                codes[code] = int(v)
    assert codes["UNSEEN"] == 1 and codes["UIDNEXT"] == 7
    assert codes["UIDVALIDITY"] > 0

    untagged, tagged = c.command("EXAMINE INBOX")
    assert untagged[0] == b"* OK [CLOSED] Previous mailbox closed."
    assert response_code(tagged, "READ-ONLY") is not None
    assert b"* OK [PERMANENTFLAGS ()] Read-only mailbox." in untagged
    # read-only: EXPUNGE does nothing (as Dovecot)
    untagged, _ = c.command("EXPUNGE")
    assert not [l for l in untagged if l.endswith(b"EXPUNGE")]

    untagged, tagged = c.command("SELECT INBOX (CONDSTORE)")
    assert any(response_code(l, "HIGHESTMODSEQ") for l in untagged)

    with pytest.raises(ImapError) as e:
        c.command("SELECT nonexist")
    assert e.value.args[0].split(b" ")[1] == b"NO"
    assert b"Mailbox doesn't exist: nonexist" in e.value.args[0]
    # the failed SELECT closed the previous mailbox
    expect_bad(c, "CLOSE")
    expect_bad(c, "SELECT")
    expect_bad(c, "SELECT INBOX (FOO)")
    c.close()


@pytest.mark.loft_only
def test_select_nonexistent_code(imap_server):
    c = connect(imap_server, imap_server.users["carol"])
    expect_no(c, "SELECT nonexist", "NONEXISTENT")
    c.close()


def test_select_qresync(fresh):
    srv, c = fresh
    c.command("CREATE q")
    for i in range(4):
        append(c, "q", b"Subject: %d\r\n\r\n%d\r\n" % (i, i),
               "\\Deleted" if i in (1, 2) else "")
    c.command("ENABLE QRESYNC")
    untagged, _ = c.command("SELECT q")
    uidv = int(next(response_code(l, "UIDVALIDITY") for l in untagged
                    if response_code(l, "UIDVALIDITY")))
    hms = int(next(response_code(l, "HIGHESTMODSEQ") for l in untagged
                   if response_code(l, "HIGHESTMODSEQ")))
    c.command("UNSELECT")
    # another session expunges UIDs 2 and 3 and adds UID 5
    c2 = connect(srv, srv.users["alice"])
    c2.command("SELECT q")
    untagged, _ = c2.command("EXPUNGE")
    assert [l for l in untagged if l.endswith(b"EXPUNGE")] == \
        [b"* 3 EXPUNGE", b"* 2 EXPUNGE"]
    append(c2, "q", b"Subject: new\r\n\r\nnew\r\n", "\\Seen")
    c2.close()

    untagged, tagged = c.command("SELECT q (QRESYNC (%d %d 1:5))"
                                 % (uidv, hms))
    assert b"* VANISHED (EARLIER) 2:3" in untagged, untagged
    fetches = [l for l in untagged if b" FETCH " in l]
    assert any(b"UID 5 " in l and b"MODSEQ" in l and b"\\Seen" in l
               for l in fetches), untagged
    assert not any(b"UID 1 " in l for l in fetches), untagged
    # known-uids limit what VANISHED names
    untagged, _ = c.command("SELECT q (QRESYNC (%d %d 3:4))" % (uidv, hms))
    assert b"* VANISHED (EARLIER) 3" in untagged, untagged
    # a wrong UIDVALIDITY: no VANISHED, no FETCH
    untagged, _ = c.command("SELECT q (QRESYNC (%d %d))" % (uidv + 1, hms))
    assert not [l for l in untagged if b"VANISHED" in l or b"FETCH" in l]
    expect_bad(c, "SELECT q (QRESYNC)")
    # EXPUNGE with QRESYNC reports VANISHED
    c.command("SELECT q")
    append(c, "q", b"Subject: del\r\n\r\ndel\r\n", "\\Deleted")
    untagged, _ = c.command("EXPUNGE")
    assert b"* VANISHED 6" in untagged, untagged


def test_select_qresync_needs_enable(imap_server):
    c = connect(imap_server, imap_server.users["dave"])
    expect_bad(c, "SELECT INBOX (QRESYNC (1 1))")
    c.close()


# --------------------------------------------- EXPUNGE CLOSE UNSELECT ---

def test_expunge_reports_in_descending_order(fresh):
    srv, c = fresh
    c.command("CREATE e")
    for i in range(5):
        append(c, "e", b"Subject: %d\r\n\r\n%d\r\n" % (i, i),
               "\\Deleted" if i in (1, 2, 4) else "")
    c.command("SELECT e")
    untagged, tagged = c.command("EXPUNGE")
    assert [l for l in untagged if l.endswith(b" EXPUNGE")] == \
        [b"* 5 EXPUNGE", b"* 3 EXPUNGE", b"* 2 EXPUNGE"]
    st = status_of(c.command("STATUS e (MESSAGES)")[0])
    assert st["MESSAGES"] == 2


def test_uid_expunge(fresh):
    srv, c = fresh
    c.command("CREATE e")
    for i in range(4):
        append(c, "e", b"Subject: %d\r\n\r\n%d\r\n" % (i, i), "\\Deleted")
    c.command("SELECT e")
    untagged, _ = c.command("UID EXPUNGE 2:3")
    assert [l for l in untagged if l.endswith(b" EXPUNGE")] == \
        [b"* 3 EXPUNGE", b"* 2 EXPUNGE"]
    untagged, _ = c.command("UID EXPUNGE 100:200")
    assert not [l for l in untagged if l.endswith(b" EXPUNGE")]
    expect_bad(c, "UID EXPUNGE")
    expect_bad(c, "UID EXPUNGE 0")
    c.command("ENABLE QRESYNC")
    untagged, _ = c.command("UID EXPUNGE 1:*")
    assert b"* VANISHED 1,4" in untagged, untagged


def test_close_expunges_silently_unselect_does_not(fresh):
    srv, c = fresh
    c.command("CREATE e")
    for i in range(3):
        append(c, "e", b"Subject: %d\r\n\r\n%d\r\n" % (i, i),
               "\\Deleted" if i == 1 else "")
    c.command("SELECT e")
    c.command("UNSELECT")
    assert status_of(c.command("STATUS e (MESSAGES)")[0])["MESSAGES"] == 3
    c.command("EXAMINE e")
    c.command("CLOSE")
    assert status_of(c.command("STATUS e (MESSAGES)")[0])["MESSAGES"] == 3
    c.command("SELECT e")
    untagged, _ = c.command("CLOSE")
    assert not [l for l in untagged if b"EXPUNGE" in l]
    assert status_of(c.command("STATUS e (MESSAGES)")[0])["MESSAGES"] == 2
    expect_bad(c, "CLOSE")
    expect_bad(c, "UNSELECT")
    expect_bad(c, "EXPUNGE")


# ------------------------------------------------- compared with Dovecot ---

SCRIPT = [
    'CREATE a/b/c', 'CREATE "Foo&AOQ-"', 'CREATE INBOX/sub',
    'SUBSCRIBE a/b/c', 'LIST "" ""', 'LIST "" "*"', 'LIST "" "%"',
    'LIST "" "a/%"', 'LIST "a/" "%"', 'LSUB "" "*"', 'LSUB "" "%"',
    'LIST (SUBSCRIBED) "" "*"', 'LIST (SPECIAL-USE) "" "*"',
    'LIST "" "*" RETURN (CHILDREN SPECIAL-USE SUBSCRIBED)',
    'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"',
    'LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT UNSEEN SIZE))',
    'STATUS INBOX (MESSAGES UIDNEXT UNSEEN SIZE)',
    'STATUS nonexist (MESSAGES)', 'STATUS INBOX (FOO)',
    'DELETE a', 'RENAME a/b/c x/y', 'LIST "" "*"',
]


def transcript(srv):
    c = connect(srv, srv.users["alice"])
    out = []
    for cmd in SCRIPT:
        untagged, tagged = c.command(cmd, check=False)
        tagged = re.sub(rb" \(\d+\.\d+ \+ .*secs\)\.?$", b"", tagged)
        tagged = tagged.rstrip(b".")
        # untagged order is the server's own; compare as sets of lines,
        # keeping LIST/STATUS pairs together
        out.append((cmd, tagged.split(b" ", 1)[1], sorted(untagged)))
    c.close()
    return out


@pytest.mark.dovecot
@pytest.mark.loft_only
def test_list_and_status_like_dovecot(server_factory):
    loft = transcript(start(server_factory))
    dove = transcript(start(server_factory, kind="dovecot"))
    for (cmd, lt, lu), (_, dt, du) in zip(loft, dove):
        assert (cmd, lt) == (cmd, dt)
        assert (cmd, lu) == (cmd, du)
