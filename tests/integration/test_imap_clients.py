"""Real IMAP clients from Debian against the server: Python's imaplib
(plain, STARTTLS, implicit TLS, and IDLE through a raw session), curl's
imap:// and imaps://, mbsync (isync) syncing a folder tree both ways and
re-syncing after changes on each side, fetchmail over IMAP, and mutt
reading messages in a pseudo-terminal.

Every test runs against Loft by default and against Debian's Dovecot with
LOFT_TEST_SERVER=dovecot (a check of the tests themselves).  Client
configurations live in the test's temporary directory; TLS is always
verified against the test certificate.
"""

import imaplib
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import time

import pytest

from clientlib import FETCHMAIL, run_fetchmail
from conftest import SERVER_KIND
from imapclient import RawImap, parse_fetch, parse_list, require_imap
from loftlib import crlf, mail_owner, wire_size

CURL = shutil.which("curl")
MBSYNC = shutil.which("mbsync")
MUTT = shutil.which("mutt")

IMAP_PORTS = ("imap", "imaps")
# How long a change may take to reach an IDLE client (issue 4: "within a
# second"; the margin is for loaded test machines, not a timing assertion).
IDLE_DEADLINE = 10


@pytest.fixture(scope="module")
def imap_server(module_factory):
    """One server for the tests that leave the mail untouched."""
    require_imap(SERVER_KIND)
    return module_factory.start(ports=IMAP_PORTS)


@pytest.fixture
def fresh_imap(server_factory):
    """A server of this test's own, for tests that change mail."""
    require_imap(SERVER_KIND)
    return server_factory.start(ports=IMAP_PORTS)


def message_id(data):
    m = re.search(rb"^Message-ID: *(<[^>]*>)", data, re.M | re.I)
    return m.group(1).decode() if m else None


def fetch_all(c):
    """{uid: (flags without \\Recent, full message bytes)} of the selected
    mailbox, read with imaplib."""
    typ, data = c.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
    assert typ == "OK", data
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        f = parse_fetch(item[0])
        if "flags" not in f:  # FLAGS after the literal: in the closing part
            idx = data.index(item)
            tail = data[idx + 1] if idx + 1 < len(data) else b""
            f.update(parse_fetch(item[0] + (tail if isinstance(tail, bytes) else b"")))
        out[f["uid"]] = (f.get("flags", set()) - {"\\Recent"}, item[1])
    return out


def mailbox_state(srv, user, mailboxes=None):
    """{mailbox: {Message-ID: flags}} over all (or the given) mailboxes,
    read with imaplib over implicit TLS."""
    c = srv.imap_login(user, "ssl")
    try:
        if mailboxes is None:
            typ, data = c.list()
            assert typ == "OK", data
            mailboxes = []
            for line in data:
                attrs, _, name = parse_list(line)
                if "\\Noselect" not in attrs and "\\NonExistent" not in attrs:
                    mailboxes.append(name)
        state = {}
        for name in mailboxes:
            typ, data = c.select('"%s"' % name, readonly=True)
            assert typ == "OK", (name, data)
            msgs = {}
            if int(data[0]) > 0:
                for flags, body in fetch_all(c).values():
                    msgs[message_id(body)] = flags
            state[name] = msgs
        return state
    finally:
        c.logout()


# ---------------------------------------------------------------- imaplib ---

@pytest.mark.parametrize("mode", ["plain", "starttls", "ssl"])
def test_imaplib_reads_inbox(imap_server, mode):
    srv = imap_server
    u = srv.users["alice"]
    c = srv.imaplib(mode)
    try:
        pre = set(c.capabilities)
        assert "IMAP4REV1" in pre
        assert ("STARTTLS" in pre) == (mode == "plain")
        typ, _ = c.login(u.name, u.password)
        assert typ == "OK"
        typ, data = c.select("INBOX", readonly=True)
        assert typ == "OK" and int(data[0]) == len(u.messages)
        typ, data = c.fetch("1:*", "(UID FLAGS RFC822.SIZE)")
        assert typ == "OK"
        rows = [parse_fetch(line) for line in data]
        assert [r["seq"] for r in rows] == list(range(1, len(u.messages) + 1))
        uids = [r["uid"] for r in rows]
        assert uids == sorted(uids) and len(set(uids)) == len(uids)
        for i, r in enumerate(rows, 1):
            # the fixture stores even-numbered messages as seen
            assert ("\\Seen" in r["flags"]) == (i % 2 == 0), r
            assert r["size"] == wire_size(u.messages[i - 1]), r
        got = fetch_all(c)
        for uid, m in zip(uids, u.messages):
            assert got[uid][1] == crlf(m), "message uid %d differs" % uid
        # EXAMINE is read-only: BODY.PEEK and BODY[] change no flags
        typ, data = c.fetch("1", "(BODY[])")
        typ, data = c.fetch("1", "(FLAGS)")
        assert "\\Seen" not in parse_fetch(data[0])["flags"]
        typ, _ = c.close()
        assert typ == "OK"
    finally:
        c.logout()


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_imaplib_authenticate(imap_server, mech):
    """AUTHENTICATE as imaplib does it: PLAIN with an empty initial
    continuation, LOGIN as two continuations."""
    u = imap_server.users["bob"]  # a password with spaces
    c = imap_server.imaplib("starttls")
    try:
        if mech == "PLAIN":
            typ, _ = c.authenticate(
                "PLAIN", lambda _: ("\0%s\0%s" % (u.name, u.password)).encode())
        else:
            answers = iter([u.name.encode(), u.password.encode()])
            typ, _ = c.authenticate("LOGIN", lambda _: next(answers))
        assert typ == "OK"
        assert c.state == "AUTH"
        typ, data = c.select("INBOX", readonly=True)
        assert typ == "OK" and int(data[0]) == len(u.messages)
    finally:
        c.logout()


def test_imaplib_wrong_password(imap_server):
    c = imap_server.imaplib("ssl")
    try:
        with pytest.raises(imaplib.IMAP4.error) as e:
            c.login("alice", "wrong")
        assert "[AUTHENTICATIONFAILED]" in str(e.value)
    finally:
        c.shutdown()


def test_imaplib_client_session(fresh_imap):
    """What a desktop client does in a session: LIST, CREATE, APPEND with
    flags and a date, SEARCH, STORE, COPY, EXPUNGE, STATUS, LSUB."""
    srv = fresh_imap
    u = srv.users["alice"]
    c = srv.imap_login(u, "starttls")
    try:
        typ, data = c.list()
        assert typ == "OK"
        listed = [parse_list(line) for line in data]
        assert "INBOX" in [n for _, _, n in listed]
        sep = listed[0][1]
        folder = "Projects%sLoft" % sep
        assert c.create(folder)[0] == "OK"
        assert c.subscribe(folder)[0] == "OK"
        msg = crlf(b"From: a@example.org\nTo: b@example.org\n"
                   b"Subject: appended\nMessage-ID: <app-1@example.org>\n\n"
                   b"appended body\n")
        typ, data = c.append(folder, "(\\Flagged $Work)",
                             imaplib.Time2Internaldate(1700000000), msg)
        assert typ == "OK", data
        typ, data = c.status(folder, "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
        assert typ == "OK"
        assert re.search(rb"MESSAGES 1\b", data[0]) and \
            re.search(rb"UNSEEN 1\b", data[0]), data

        typ, data = c.select("INBOX")
        assert typ == "OK" and int(data[0]) == len(u.messages)
        typ, data = c.search(None, "SUBJECT", "dots")
        assert typ == "OK" and data[0].split() == [b"2"]
        typ, data = c.search(None, "UNSEEN")
        assert [int(x) for x in data[0].split()] == [1, 3, 5]
        typ, data = c.store("1,3", "+FLAGS", "(\\Seen \\Answered)")
        assert typ == "OK"
        typ, data = c.copy("2:3", folder)
        assert typ == "OK"
        typ, data = c.store("2", "+FLAGS.SILENT", "(\\Deleted)")
        assert typ == "OK"
        typ, data = c.expunge()
        assert typ == "OK" and data == [b"2"], data
        typ, data = c.fetch("1:*", "(FLAGS)")
        flags = [parse_fetch(line)["flags"] for line in data]
        assert len(flags) == len(u.messages) - 1
        assert {"\\Seen", "\\Answered"} <= flags[0]
        assert {"\\Seen", "\\Answered"} <= flags[1]  # old message 3

        typ, data = c.select(folder, readonly=True)
        assert typ == "OK" and int(data[0]) == 3
        got = fetch_all(c)
        ordered = [got[uid] for uid in sorted(got)]
        assert ordered[0][1] == msg
        assert ordered[0][0] == {"\\Flagged", "$Work"}
        assert ordered[1][1] == crlf(u.messages[1])
        assert ordered[2][0] == {"\\Seen", "\\Answered"}
        typ, data = c.lsub()
        assert folder in [parse_list(line)[2] for line in data]
    finally:
        c.logout()


def _idle_session(srv, user, tls):
    ctx = srv.ssl_context() if tls else None
    r = RawImap(srv.host, srv.port("imaps" if tls else "imap"), ssl_context=ctx)
    r.login(user.name, user.password)
    r.command("SELECT INBOX")
    r.send("I001 IDLE\r\n")
    cont = r.read_response()
    assert cont.startswith(b"+"), r.trace()
    return r


def _inotify_instances(uid):
    """How many inotify instances processes of uid hold now."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat("/proc/%s" % pid).st_uid != uid:
                continue
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == \
                        "anon_inode:inotify":
                    n += 1
            except OSError:
                pass
    return n


def require_inotify(uid, need=8):
    """Skips when other processes of the mail owner hold nearly all of its
    inotify instances (a benchmark with thousands of IDLE sessions does):
    neither Loft nor Dovecot can then be told of changes in time."""
    try:
        limit = int(open("/proc/sys/fs/inotify/max_user_instances").read())
    except OSError:
        return
    used = _inotify_instances(uid)
    if used + need > limit:
        pytest.skip("uid %d holds %d of its %d inotify instances "
                    "(fs.inotify.max_user_instances): IDLE notification "
                    "cannot be tested now" % (uid, used, limit))


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "ssl"])
def test_imaplib_idle(fresh_imap, tls):
    """An IDLE session hears of a message appended by another session, a
    file delivered into new/, a flag change and an expunge; DONE ends IDLE
    with a tagged OK."""
    require_inotify(mail_owner()[0])
    srv = fresh_imap
    u = srv.users["alice"]
    n = len(u.messages)
    r = _idle_session(srv, u, tls)
    other = srv.imap_login(u, "ssl")
    try:
        other.append("INBOX", None, None, crlf(b"Subject: idle 1\n\nx\n"))
        line, seen = r.wait_for(lambda l: l == b"* %d EXISTS" % (n + 1),
                                IDLE_DEADLINE)
        assert line, "no EXISTS after APPEND: %r\n%s" % (seen, r.trace())

        # a delivery by another program: tmp/ then rename into new/
        uid, gid, _ = mail_owner()
        tmp = u.maildir / "tmp" / "1800000000.M1P1.idle-test"
        tmp.write_bytes(b"Subject: idle 2\n\ndelivered\n")
        os.chown(tmp, uid, gid) if os.getuid() == 0 else None
        os.rename(tmp, u.maildir / "new" / tmp.name)
        line, seen = r.wait_for(lambda l: l == b"* %d EXISTS" % (n + 2),
                                IDLE_DEADLINE)
        assert line, "no EXISTS after delivery to new/: %r\n%s" % (seen, r.trace())

        other.select("INBOX")
        other.store("1", "+FLAGS", "(\\Flagged)")
        line, seen = r.wait_for(
            lambda l: l.startswith(b"* 1 FETCH ") and b"\\Flagged" in l,
            IDLE_DEADLINE)
        assert line, "no FETCH after STORE: %r\n%s" % (seen, r.trace())

        other.store("2", "+FLAGS.SILENT", "(\\Deleted)")
        other.expunge()
        line, seen = r.wait_for(lambda l: l == b"* 2 EXPUNGE", IDLE_DEADLINE)
        assert line, "no EXPUNGE: %r\n%s" % (seen, r.trace())

        r.send("DONE\r\n")
        line, seen = r.wait_for(lambda l: l.startswith(b"I001 "), IDLE_DEADLINE)
        assert line and line.startswith(b"I001 OK"), r.trace()
        _, tagged = r.command("NOOP")
        _, tagged = r.command("LOGOUT")
    finally:
        other.logout()
        r.close()


# ------------------------------------------------------------------- curl ---

CURL_MODES = {
    "imap": ("imap", []),
    "imap-starttls": ("imap", ["--ssl-reqd", "--cacert", "CA"]),
    "imaps": ("imaps", ["--cacert", "CA"]),
}


def _curl(srv, user, mode, path, extra=(), password=None):
    scheme, args = CURL_MODES[mode]
    args = [str(srv.cafile) if a == "CA" else a for a in args]
    port = srv.port(scheme)
    cmd = [CURL, "--silent", "--show-error", "--max-time", "60",
           "--user", "%s:%s" % (user.name, password or user.password)]
    cmd += args + list(extra)
    cmd.append("%s://localhost:%d/%s" % (scheme, port, path))
    return subprocess.run(cmd, capture_output=True, timeout=120)


needs_curl = pytest.mark.skipif(CURL is None, reason="curl not installed")


@needs_curl
@pytest.mark.parametrize("mode", list(CURL_MODES))
def test_curl_list_search_fetch(imap_server, mode):
    srv = imap_server
    u = srv.users["alice"]
    p = _curl(srv, u, mode, "")
    assert p.returncode == 0, p.stderr
    names = [parse_list(line[len(b"* LIST "):])[2]
             for line in p.stdout.splitlines() if line.startswith(b"* LIST ")]
    assert "INBOX" in names, p.stdout
    p = _curl(srv, u, mode, "INBOX?SUBJECT%20medium")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == b"* SEARCH 3", p.stdout
    for n in (1, 2, 4, 6):
        p = _curl(srv, u, mode, "INBOX;UID=%d" % n)
        assert p.returncode == 0, p.stderr
        assert p.stdout == crlf(u.messages[n - 1]), "message %d differs" % n
    # a section of a message
    p = _curl(srv, u, mode, "INBOX;UID=5;SECTION=HEADER.FIELDS%20(SUBJECT)")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"Subject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\n\r\n", p.stdout
    # a custom command
    p = _curl(srv, u, mode, "", extra=["-X", "EXAMINE INBOX"])
    assert p.returncode == 0, p.stderr
    assert b"* %d EXISTS" % len(u.messages) in p.stdout, p.stdout


@needs_curl
def test_curl_append(fresh_imap, tmp_path):
    srv = fresh_imap
    u = srv.users["alice"]
    msg = crlf(b"From: curl@example.org\nSubject: uploaded by curl\n"
               b"Message-ID: <curl-1@example.org>\n\nhello from curl\n")
    f = tmp_path / "msg.eml"
    f.write_bytes(msg)
    p = _curl(srv, u, "imaps", "INBOX", extra=["-T", str(f)])
    assert p.returncode == 0, p.stderr
    c = srv.imap_login(u, "ssl")
    try:
        c.select("INBOX", readonly=True)
        got = fetch_all(c)
        assert len(got) == len(u.messages) + 1
        assert got[max(got)][1] == msg
    finally:
        c.logout()


@needs_curl
def test_curl_wrong_password(imap_server):
    p = _curl(imap_server, imap_server.users["alice"], "imaps", "",
              password="wrong")
    assert p.returncode == 67, (p.returncode, p.stderr)  # CURLE_LOGIN_DENIED


@needs_curl
def test_curl_rejects_untrusted_certificate(imap_server):
    """Proves that the imaps tests above verify the certificate."""
    p = _curl(imap_server, imap_server.users["alice"], "imaps", "",
              extra=["--cacert", "/dev/null"])
    assert p.returncode != 0


# ----------------------------------------------------------------- mbsync ---

def _mbsync_config(srv, user, workdir, tls):
    local = workdir / "local"
    local.mkdir(exist_ok=True)
    rc = workdir / "mbsyncrc"
    rc.write_text(
        "IMAPAccount test\n"
        "Host localhost\n"
        "Port %d\n"
        "User %s\n"
        "Pass \"%s\"\n"
        # isync 1.4 names it SSLType (1.5: TLSType)
        "SSLType %s\n"
        "CertificateFile %s\n"
        "\n"
        "IMAPStore remote\n"
        "Account test\n"
        "\n"
        "MaildirStore local\n"
        "Path %s/\n"
        "Inbox %s/INBOX\n"
        "SubFolders Verbatim\n"
        "\n"
        "Channel tree\n"
        "Far :remote:\n"
        "Near :local:\n"
        "Patterns *\n"
        "Create Both\n"
        "Remove None\n"
        "Expunge Both\n"
        "Sync All\n"
        "SyncState *\n"
        % (srv.port("imaps" if tls == "IMAPS" else "imap"), user.name,
           user.password, tls, srv.cafile, local, local))
    return rc, local


def _mbsync(rc, workdir):
    env = dict(os.environ, HOME=str(workdir), LC_ALL="C")
    p = subprocess.run([MBSYNC, "-c", str(rc), "-V", "tree"],
                       capture_output=True, timeout=300, env=env,
                       cwd=str(workdir))
    detail = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 0, "mbsync failed (%d):\n%s" % (p.returncode, detail)
    return detail


MAILDIR_FLAGS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
                 "S": "\\Seen", "T": "\\Deleted"}


def local_state(local, sep):
    """{mailbox: {Message-ID: flags}} of mbsync's local Maildir tree
    (SubFolders Verbatim: a folder per mailbox, nested by hierarchy)."""
    state = {}
    for cur in sorted(local.rglob("cur")):
        box = cur.parent
        name = sep.join(box.relative_to(local).parts)
        msgs = {}
        for sub in ("new", "cur"):
            for f in (box / sub).iterdir():
                info = f.name.partition(":2,")[2]
                if "T" in info:
                    continue  # trashed, expunged at the next sync
                msgs[message_id(f.read_bytes())] = set(
                    MAILDIR_FLAGS[ch] for ch in info if ch in MAILDIR_FLAGS)
        state[name] = msgs
    return state


def _local_file(local, box, mid):
    for sub in ("new", "cur"):
        for f in (local / box / sub).iterdir():
            if message_id(f.read_bytes()) == mid:
                return f
    raise AssertionError("%s not in local %s" % (mid, box))


def _write_local(local, box, name, data, flags=""):
    d = local / box
    for sub in ("cur", "new", "tmp"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "cur" / ("%s:2,%s" % (name, flags))).write_bytes(data)


@pytest.mark.skipif(MBSYNC is None, reason="mbsync (isync) not installed")
@pytest.mark.parametrize("tls", ["IMAPS", "STARTTLS"])
def test_mbsync_tree_both_ways(fresh_imap, tmp_path, tls):
    srv = fresh_imap
    u = srv.users["alice"]
    c = srv.imap_login(u, "ssl")
    try:
        sep = parse_list(c.list('""', '""')[1][0])[1]
        for box in ("Work", "Work%s2024" % sep, "Archive"):
            typ, data = c.create(box)
            assert typ == "OK", data
        for i, box in enumerate(("Work", "Work%s2024" % sep)):
            c.append(box, "(\\Flagged)", None, crlf(
                b"Subject: in %s\nMessage-ID: <far-%d@example.org>\n\nbody\n"
                % (box.encode(), i)))
    finally:
        c.logout()
    rc, local = _mbsync_config(srv, u, tmp_path, tls)

    # first sync: everything comes down
    log1 = _mbsync(rc, tmp_path)
    remote = mailbox_state(srv, u)
    assert set(remote) == {"INBOX", "Work", "Work%s2024" % sep, "Archive"}
    assert local_state(local, sep) == remote, log1
    for m in u.messages:
        # mbsync stores LF line ends, as the fixture does, and adds its
        # X-TUID tracking header
        data = _local_file(local, "INBOX", message_id(m)).read_bytes()
        assert re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", data) == m

    # changes on the near side: a new folder with a message, a new message
    # in Work, a flag set, a message deleted
    new_local = crlf(b"Subject: near\nMessage-ID: <near-1@example.org>\n\nn\n")
    _write_local(local, "Local", "1800000001.near1.host", new_local.replace(b"\r\n", b"\n"), "S")
    _write_local(local, "Work", "1800000002.near2.host",
                 b"Subject: near 2\nMessage-ID: <near-2@example.org>\n\nn\n")
    f1 = _local_file(local, "INBOX", message_id(u.messages[0]))
    f1.rename(f1.with_name(f1.name.partition(":2,")[0] + ":2,F"))
    _local_file(local, "INBOX", message_id(u.messages[2])).unlink()

    # changes on the far side: an append, a flag, an expunge, a folder
    c = srv.imap_login(u, "ssl")
    try:
        c.append("INBOX", "(\\Seen)", None, crlf(
            b"Subject: far\nMessage-ID: <far-9@example.org>\n\nf\n"))
        c.create("Remote")
        c.append("Remote", None, None, crlf(
            b"Subject: far 2\nMessage-ID: <far-10@example.org>\n\nf\n"))
        c.select("INBOX")
        c.store("2", "+FLAGS", "(\\Answered)")
        c.store("5", "+FLAGS.SILENT", "(\\Deleted)")
        assert c.expunge()[0] == "OK"
    finally:
        c.logout()

    log2 = _mbsync(rc, tmp_path)
    # The far side may keep \Deleted messages until the next expunge
    remote = mailbox_state(srv, u)
    near = local_state(local, sep)
    assert near == remote, "after re-sync\n%s" % log2
    inbox = remote["INBOX"]
    mids = [message_id(m) for m in u.messages]
    assert mids[2] not in inbox and mids[4] not in inbox
    assert "\\Flagged" in inbox[mids[0]]
    assert "\\Answered" in inbox[mids[1]]
    assert inbox["<far-9@example.org>"] == {"\\Seen"}
    assert remote["Local"] == {"<near-1@example.org>": {"\\Seen"}}
    assert "<near-2@example.org>" in remote["Work"]
    assert remote["Remote"] == {"<far-10@example.org>": set()}

    # a third run has nothing to do and changes nothing
    log3 = _mbsync(rc, tmp_path)
    assert mailbox_state(srv, u) == remote == local_state(local, sep), log3


# -------------------------------------------------------------- fetchmail ---

def _fetchmail(srv, user, mode, workdir, keep):
    return run_fetchmail(srv, user, "imap", mode, workdir, keep)


@pytest.mark.skipif(FETCHMAIL is None, reason="fetchmail not installed")
@pytest.mark.parametrize("mode,keep", [("plain", True), ("starttls", False),
                                       ("ssl", False)])
def test_fetchmail_imap(fresh_imap, tmp_path, mode, keep):
    srv = fresh_imap
    u = srv.users["alice"]
    p, got = _fetchmail(srv, u, mode, tmp_path, keep)
    # fetchmail's IMAP trace, without its progress stars
    detail = "\n".join(
        line for line in (p.stdout + p.stderr).decode("utf-8", "replace")
        .splitlines() if "*****" not in line)
    assert p.returncode == 0, detail
    assert len(got) == len(u.messages), detail
    for i, (g, m) in enumerate(zip(got, u.messages), 1):
        assert g == m, "message %d not byte-exact\n%s" % (i, detail)
    sent_starttls = re.search(r"IMAP> A\d+ STARTTLS", detail) is not None
    assert sent_starttls == (mode == "starttls"), detail
    c = srv.imap_login(u, "ssl")
    try:
        typ, data = c.select("INBOX", readonly=True)
        if keep:
            # fetchall + keep: everything stays, now seen
            assert int(data[0]) == len(u.messages)
            typ, data = c.fetch("1:*", "(FLAGS)")
            assert all("\\Seen" in parse_fetch(x)["flags"] for x in data), data
        else:
            assert int(data[0]) == 0, detail
    finally:
        c.logout()


# ------------------------------------------------------------------- mutt ---

def _run_in_pty(argv, env, deadline_s=60):
    """Runs argv on a pseudo-terminal until it exits; returns (exit code,
    or None when it had to be killed at the deadline, screen output).  An
    interactive client that hit an error waits for keys forever: the
    deadline ends it."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    screen = b""
    end = time.monotonic() + deadline_s
    try:
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 1)
            if not r:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            screen += data
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        return None, screen
    return os.waitstatus_to_exitcode(status), screen


def _muttrc(srv, user, workdir, folder, commands):
    """A muttrc for a batch run: TLS verified against the test CA, no
    caches, no prompts, then the given commands (a `push` of keys)."""
    rc = workdir / "muttrc"
    rc.write_text(
        'set ssl_ca_certificates_file="%s"\n'
        'set certificate_file="%s"\n'
        'set ssl_force_tls=yes\n'
        'set ssl_starttls=yes\n'
        'set imap_user="%s"\n'
        'set imap_pass="%s"\n'
        'set folder="%s"\n'
        'set spoolfile="+INBOX"\n'
        'set header_cache=""\n'
        'set message_cachedir=""\n'
        'set sort=date-sent\n'
        'set wait_key=no\n'
        'set prompt_after=no\n'
        'set pipe_decode=no\n'
        'set confirmcreate=no\n'
        'set confirmappend=no\n'
        'set delete=yes\n'
        'set quit=yes\n'
        'set move=no\n'
        'set mark_old=no\n'
        'set timeout=0\n'
        '%s'
        % (srv.cafile, workdir / "certs", user.name, user.password, folder,
           commands))
    return rc


def _mutt(rc, workdir):
    """Runs mutt -n -F rc on a pseudo-terminal; returns its screen as text
    (escape sequences removed) after checking that it exited with 0."""
    env = dict(os.environ, HOME=str(workdir), TERM="vt100",
               LC_ALL="C.UTF-8", LINES="40", COLUMNS="100")
    status, screen = _run_in_pty([MUTT, "-n", "-F", str(rc)], env)
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-B]|\x1b[=>]", b"",
                  screen).decode("utf-8", "replace")
    assert status is not None, "mutt still running after 60 s, killed; " \
        "its screen:\n%s" % text
    assert status == 0, text
    return text


@pytest.mark.skipif(MUTT is None, reason="mutt not installed")
@pytest.mark.parametrize("mode", ["imaps", "starttls"])
def test_mutt_reads_message(fresh_imap, tmp_path, mode):
    """mutt, driven by `push` in a pseudo-terminal: opens INBOX, displays
    message 1 through an external pager that copies it to a file, pipes
    message 5 raw to a file, and quits; the displayed message is then
    \\Seen on the server."""
    srv = fresh_imap
    u = srv.users["alice"]
    shown = tmp_path / "shown.txt"
    piped = tmp_path / "piped.eml"
    if mode == "imaps":
        folder = "imaps://localhost:%d/" % srv.port("imaps")
    else:
        folder = "imap://localhost:%d/" % srv.port("imap")
    rc = _muttrc(srv, u, tmp_path, folder,
                 'set pager="cp %%s %s"\n'
                 'push "1<enter><display-message>5<enter>'
                 '<pipe-message>cat > %s<enter><sync-mailbox><quit>"\n'
                 % (shown, piped))
    text = _mutt(rc, tmp_path)
    assert piped.exists(), "mutt piped nothing:\n%s" % text
    assert piped.read_bytes() == u.messages[4]
    assert shown.exists(), "mutt displayed nothing:\n%s" % text
    body = shown.read_text("utf-8", "replace")
    assert "Hello, this is a small message." in body, body
    assert "Subject: small" in body, body
    c = srv.imap_login(u, "ssl")
    try:
        c.select("INBOX", readonly=True)
        typ, data = c.fetch("1", "(FLAGS)")
        assert "\\Seen" in parse_fetch(data[0])["flags"], text
    finally:
        c.logout()


@pytest.mark.skipif(MUTT is None, reason="mutt not installed")
def test_mutt_deletes_and_saves(fresh_imap, tmp_path):
    """mutt deletes message 2 and saves message 3 into a folder it creates
    (=Archive), then syncs: INBOX loses both, Archive holds message 3."""
    srv = fresh_imap
    u = srv.users["alice"]
    rc = _muttrc(srv, u, tmp_path, "imaps://localhost:%d/" % srv.port("imaps"),
                 'push "2<enter><delete-message>3<enter>'
                 '<save-message>=Archive<enter><sync-mailbox><quit>"\n')
    text = _mutt(rc, tmp_path)
    state = mailbox_state(srv, u)
    mids = [message_id(m) for m in u.messages]
    assert set(state["INBOX"]) == set(mids) - {mids[1], mids[2]}, text
    assert set(state["Archive"]) == {mids[2]}, text
