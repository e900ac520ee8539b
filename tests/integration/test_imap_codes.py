"""The response codes of RFC 5530 that a storage failure or a storage limit
earns, and the answers to names and keywords beyond the limits:

- [OVERQUOTA]: the filesystem under the Maildir is full (ENOSPC: its
  blocks, or its inodes) during APPEND, COPY, MOVE or CREATE. The home
  sits on a small tmpfs mounted for the test (skipped when mounting is
  impossible); afterwards nothing is left in tmp/, the mailboxes read as
  before and the same command works once there is room. The answer is
  "NO [OVERQUOTA] Not enough disk space", the code and text Dovecot 2.2
  gave; Debian's Dovecot 2.3.19 answers a full disk with [SERVERBUG] and
  keeps [OVERQUOTA] for EDQUOT ("Not enough disk quota", which Loft
  answers too; a filesystem with quotas is not set up here).
- [LIMIT]: a Maildir mailbox has 26 keyword letters (a-z), so a 27th
  keyword is refused (STORE and APPEND). Dovecot keeps further keywords in
  its own index, so this limit is Loft's.
- Mailbox names, as Debian's Dovecot 2.3.19 answers them: the hierarchy
  depth is not limited; a name longer than 4096 bytes, or with a level
  longer than 255 bytes in its on-disk form (modified UTF-7), is "NO
  [CANNOT] Mailbox name too long"; a name within those limits whose
  Maildir++ directory ".a.b.c" exceeds the filesystem's NAME_MAX fails at
  mkdir() with ENAMETOOLONG, which Dovecot's CREATE answers "NO Not found".
  Its RENAME answers that case "NO [SERVERBUG]" (an internal error, logged);
  Loft answers RENAME "NO Not found" as well.
- mail_max_keyword_length (default 50): a longer keyword in STORE or
  APPEND is "NO [CANNOT] Keyword length too long", as in Dovecot.

The OVERQUOTA and LIMIT tests are loft_only (with LOFT_TEST_SERVER=dovecot
the differences show); the name and keyword tests run against either
server, and test_names_and_keywords_as_dovecot runs both side by side
(skipped without Dovecot)."""

import base64
import imaplib
import os
import re
import shutil
import subprocess

import pytest

from loftlib import chown_tree, crlf, dovecot_available, mail_owner

MSG = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: big\r\n\r\n" +
       b"x" * 76 + b"\r\n") * 4000  # about 300 KB


def _mount_tmpfs(path, size, inodes):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=%d,nr_inodes=%d,mode=0755" % (size, inodes),
                        "loft-test", str(path)], capture_output=True)
    return r.returncode == 0, r.stderr.decode(errors="replace").strip()


def _fill(directory, what="both"):
    """Fills the filesystem of directory: its blocks, its inodes or
    both."""
    if what in ("blocks", "both"):
        fd = os.open(os.path.join(directory, "filler"),
                     os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
    if what == "blocks":
        return
    n = 0
    try:
        while True:
            open(os.path.join(directory, "inode-%d" % n), "wb").close()
            n += 1
    except OSError:
        pass


def _unfill(directory):
    for name in os.listdir(directory):
        if name == "filler" or name.startswith("inode-"):
            os.unlink(os.path.join(directory, name))


@pytest.fixture
def small_fs(server_factory):
    """A server whose user alice has her home (and Maildir) on a tmpfs of
    a few MB. Yields (server, user, home)."""
    if os.getuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    cfg, us = server_factory.world(ports=("imap",), plaintext=True,
                                   users={"alice": "alice-pw"})
    u = us["alice"]
    saved = u.home.parent / "alice.saved"
    shutil.move(str(u.home), str(saved))
    u.home.mkdir()
    ok, err = _mount_tmpfs(u.home, 8 * 1024 * 1024, 400)
    if not ok:
        saved.rename(u.home) if not any(u.home.iterdir()) else None
        pytest.skip("cannot mount a tmpfs: %s" % err)
    try:
        for entry in saved.iterdir():
            dest = u.home / entry.name
            if entry.is_dir():
                shutil.copytree(entry, dest)
            else:
                shutil.copy2(entry, dest)
        uid, gid, _ = mail_owner()
        chown_tree(u.home, uid, gid)
        srv = server_factory.start_with(cfg, us)
        yield srv, u, u.home
        server_factory.stop(srv)
    finally:
        subprocess.run(["umount", "-l", str(u.home)], capture_output=True)


def _login(srv, u):
    c = srv.imaplib("plain")
    c.login(u.name, u.password)
    return c


def _code(data):
    text = b" ".join(d if isinstance(d, bytes) else b"" for d in data)
    return text


def _tmp_files(home, box=""):
    d = home / "Maildir" / box / "tmp"
    return sorted(os.listdir(d)) if d.exists() else []


@pytest.mark.loft_only
@pytest.mark.parametrize("full", ["blocks", "inodes"])
def test_append_on_full_filesystem(small_fs, full):
    srv, u, home = small_fs
    c = _login(srv, u)
    try:
        assert c.select("INBOX")[0] == "OK"
        _fill(home, full)
        typ, data = c.append("INBOX", None, None, MSG)
        assert typ == "NO", data
        assert _code(data).startswith(b"[OVERQUOTA] "), data
        assert _tmp_files(home) == []
        _unfill(home)
        # still the same mailbox, and the next APPEND works
        typ, data = c.select("INBOX")
        assert typ == "OK" and int(data[0]) == len(u.messages), data
        typ, data = c.append("INBOX", None, None, MSG)
        assert typ == "OK", data
        typ, data = c.fetch(str(len(u.messages) + 1), "(BODY.PEEK[])")
        assert data[0][1] == crlf(MSG)
    finally:
        c.logout()


@pytest.mark.loft_only
@pytest.mark.parametrize("free_inodes", [1, 2, 3])
def test_append_running_out_of_room(small_fs, free_inodes):
    """The message file fits but not what the UID needs (the uidlist
    lock): a NO leaves no message behind, the session goes on."""
    srv, u, home = small_fs
    c = _login(srv, u)
    try:
        assert c.select("INBOX")[0] == "OK"
        _fill(home, "inodes")
        for i in range(free_inodes):
            os.unlink(home / ("inode-%d" % i))
        typ, data = c.append("INBOX", None, None, MSG)
        _unfill(home)
        if typ == "NO":
            assert _code(data).startswith(b"[OVERQUOTA] "), data
            want = len(u.messages)
        else:
            want = len(u.messages) + 1
        assert _tmp_files(home) == []
        typ, data = c.select("INBOX")
        assert typ == "OK" and int(data[0]) == want, data
    finally:
        c.logout()


@pytest.mark.loft_only
@pytest.mark.parametrize("full", ["blocks", "inodes"])
def test_copy_and_move_on_full_filesystem(small_fs, full):
    srv, u, home = small_fs
    c = _login(srv, u)
    try:
        assert c.create("Other")[0] == "OK"
        assert c.select("INBOX")[0] == "OK"
        _fill(home, full)
        typ, data = c.copy("1:*", "Other")
        assert typ == "NO", data
        assert _code(data).startswith(b"[OVERQUOTA] "), data
        typ, data = c._simple_command("MOVE", "1:*", "Other")
        assert typ == "NO", data
        assert _code(data).startswith(b"[OVERQUOTA] "), data
        _unfill(home)
        typ, data = c.select("Other")
        assert typ == "OK" and int(data[0]) == 0, data
        assert _tmp_files(home, ".Other") == []
        typ, data = c.select("INBOX")
        assert typ == "OK" and int(data[0]) == len(u.messages), data
    finally:
        c.logout()


@pytest.mark.loft_only
@pytest.mark.parametrize("free_inodes", [3, 5, 8])
def test_copy_running_out_of_room(small_fs, free_inodes):
    """A few copies fit, then the disk is full: a NO leaves the
    destination as it was (RFC 3501 section 6.4.7), an OK has them all."""
    srv, u, home = small_fs
    c = _login(srv, u)
    try:
        assert c.create("Other")[0] == "OK"
        assert c.select("INBOX")[0] == "OK"
        _fill(home, "inodes")
        for i in range(free_inodes):
            os.unlink(home / ("inode-%d" % i))
        typ, data = c.copy("1:*", "Other")
        _unfill(home)
        if typ == "NO":
            assert _code(data).startswith(b"[OVERQUOTA] "), data
            want = 0
        else:
            want = len(u.messages)
        typ, data = c.select("Other")
        assert typ == "OK" and int(data[0]) == want, data
        assert _tmp_files(home, ".Other") == []
    finally:
        c.logout()


@pytest.mark.loft_only
def test_create_on_full_filesystem(small_fs):
    srv, u, home = small_fs
    c = _login(srv, u)
    try:
        assert c.select("INBOX")[0] == "OK"
        _fill(home, "inodes")
        typ, data = c.create("New")
        assert typ == "NO", data
        assert _code(data).startswith(b"[OVERQUOTA] "), data
        _unfill(home)
        assert c.create("New")[0] == "OK"
    finally:
        c.logout()


# ------------------------------------------------------------- LIMIT ---

@pytest.mark.loft_only
def test_27th_keyword_is_limit(server_factory):
    srv = server_factory.start(ports=("imap",), plaintext=True)
    u = srv.users["alice"]
    c = _login(srv, u)
    try:
        assert c.select("INBOX")[0] == "OK"
        for i in range(26):
            typ, data = c.store("1", "+FLAGS", "kw%02d" % i)
            assert typ == "OK", (i, data)
        typ, data = c.store("1", "+FLAGS", "kw26")
        assert typ == "NO", data
        assert _code(data).startswith(b"[LIMIT] "), data
        typ, data = c.fetch("1", "(FLAGS)")
        assert b"kw25" in data[0] and b"kw26" not in data[0], data
        count = len(u.messages)
        typ, data = c.append("INBOX", "(kw26)", None, MSG)
        assert typ == "NO", data
        assert _code(data).startswith(b"[LIMIT] "), data
        assert _tmp_files(u.home) == []
        # a keyword the mailbox has is fine
        typ, data = c.append("INBOX", "(kw03)", None, MSG)
        assert typ == "OK", data
        typ, data = c.select("INBOX")
        assert int(data[0]) == count + 1
    finally:
        c.logout()


def _mutf7(text):
    """text in modified UTF-7 (RFC 3501 section 5.1.3), all of it encoded:
    for names of non-ASCII characters only."""
    b = base64.b64encode(text.encode("utf-16-be")).decode()
    return "&" + b.rstrip("=").replace("/", ",") + "-"


def _answer(result):
    """(type, text) of a tagged answer, without Dovecot's timing
    ("(0.001 + 0.000 secs).")."""
    typ, data = result
    text = b" ".join(d for d in data if isinstance(d, bytes)).decode()
    text = re.sub(r" \(\d+\.\d+( \+ \d+\.\d+)* secs\)\.$", "", text)
    return typ, text.rstrip(".")


TOO_LONG = ("NO", "[CANNOT] Mailbox name too long")
NOT_FOUND = ("NO", "Not found")
CREATED = ("OK", "Create completed")


def _name_cases():
    """(label, name, CREATE's answer) with the separator ".": the depth is
    free, the whole name and each level are bounded, and so is the
    Maildir++ directory name (".name", NAME_MAX 255)."""
    levels40 = ".".join("l%02d" % i for i in range(40))
    return [
        ("40 levels", levels40, CREATED),
        ("41 levels", levels40 + ".l40", CREATED),
        ("level of 254", "c" * 254, CREATED),
        ("level of 255, directory of 256", "c" * 255, NOT_FOUND),
        ("level of 256", "p." + "c" * 256, TOO_LONG),
        ("300 levels of 1", ".".join(["a"] * 300), NOT_FOUND),
        ("25 short levels, directory of 300",
         ".".join("m" * 9 + "%02d" % i for i in range(25)), NOT_FOUND),
        ("directory of 255", "q" * 200 + "." + "r" * 53, CREATED),
        ("directory of 256", "q" * 200 + "." + "r" * 54, NOT_FOUND),
        ("name of 4096", ".".join(["w" * 99] * 40) + "." + "v" * 96,
         NOT_FOUND),
        ("name of 4097", ".".join(["w" * 99] * 40) + "." + "v" * 97,
         TOO_LONG),
        ("name of 12059", ".".join(["z" * 200] * 60), TOO_LONG),
        # the level's bound is on its on-disk form: 90 CJK characters are
        # 270 bytes of UTF-8 but 242 of modified UTF-7; 95 are 256
        ("CJK level, 242 on disk", "p." + _mutf7("\u4e2d" * 90), CREATED),
        ("CJK level, 256 on disk", "p." + _mutf7("\u4e2d" * 95), TOO_LONG),
        ("a-umlaut level, 269 on disk", _mutf7("\u00e4" * 100), TOO_LONG),
        # the whole name's bound is on UTF-8: 3619 bytes, 4859 on disk
        ("20 a-umlaut levels", ".".join([_mutf7("\u00e4" * 90)] * 20),
         NOT_FOUND),
    ]


def _rename_cases(src):
    """(label, new name, RENAME's answer) for renaming src."""
    levels40 = ".".join("l%02d" % i for i in range(40))
    return [
        ("to 41 levels", levels40 + ".x", ("OK", "Rename completed")),
        ("to a level of 256", "d" * 256, TOO_LONG),
        ("to a name of 12059", ".".join(["z" * 200] * 60), TOO_LONG),
    ]


def _check_names(c):
    """CREATE and RENAME of each case; returns what was answered."""
    seen = []
    for label, name, want in _name_cases():
        got = _answer(c.create(name))
        seen.append((label, got))
        assert got == want, (label, got)
    assert c.create("Src")[0] == "OK"
    for label, name, want in _rename_cases("Src"):
        got = _answer(c.rename("Src", name))
        seen.append((label, got))
        assert got == want, (label, got)
    # the 41 levels deep mailbox is usable
    deep = _rename_cases("Src")[0][1]
    assert c.append(deep, None, None, MSG)[0] == "OK"
    typ, data = c.select(deep)
    assert typ == "OK" and int(data[0]) == 1, data
    typ, data = c.list('""', deep)
    assert typ == "OK" and data[0] is not None, data
    assert c.select("INBOX")[0] == "OK"
    return seen


def test_deep_and_long_names(server_factory):
    srv = server_factory.start(ports=("imap",), plaintext=True)
    u = srv.users["alice"]
    c = _login(srv, u)
    try:
        _check_names(c)
        if srv.kind == "loft":
            # a RENAME whose Maildir++ directory would exceed NAME_MAX
            # (Dovecot: [SERVERBUG])
            typ, text = _answer(c.rename(
                "c" * 254, ".".join("m" * 9 + "%02d" % i
                                    for i in range(25))))
            assert (typ, text) == NOT_FOUND, text
            assert c.select("c" * 254)[0] == "OK"
    finally:
        c.logout()


def _check_keywords(c, limit):
    """STORE and APPEND of keywords of limit and limit + 1 characters."""
    ok, long = "k" * limit, "k" * (limit + 1)
    refused = ("NO", "[CANNOT] Keyword length too long")
    assert c.select("INBOX")[0] == "OK"
    seen = []
    for what, result, want in [
            ("STORE +FLAGS %d" % limit, c.store("1", "+FLAGS", ok), "OK"),
            ("STORE +FLAGS %d" % (limit + 1), c.store("1", "+FLAGS", long),
             refused),
            ("STORE FLAGS %d" % (limit + 1), c.store("1", "FLAGS", long),
             refused),
            ("STORE -FLAGS %d" % (limit + 1), c.store("1", "-FLAGS", long),
             refused),
            ("APPEND %d" % (limit + 1),
             c.append("INBOX", "(\\Seen %s)" % long, None, MSG), refused),
            ("APPEND %d" % limit,
             c.append("INBOX", "(\\Seen %s)" % ok, None, MSG), "OK")]:
        got = _answer(result)
        # an OK's text has the message's UIDs: only its type is compared
        seen.append((what, got if got[0] != "OK" else ("OK",)))
        if want == "OK":
            assert got[0] == "OK", (what, got)
        else:
            assert got == want, (what, got)
    typ, data = c.fetch("1:*", "(FLAGS)")
    flags = b" ".join(d if isinstance(d, bytes) else b"" for d in data)
    assert long.encode() not in flags, flags
    assert flags.count(ok.encode()) == 2, flags
    return seen


def test_keyword_length(server_factory):
    srv = server_factory.start(ports=("imap",), plaintext=True)
    u = srv.users["alice"]
    count = len(u.messages)
    c = _login(srv, u)
    try:
        _check_keywords(c, 50)
        typ, data = c.select("INBOX")
        assert int(data[0]) == count + 1, data
        assert _tmp_files(u.home) == []
    finally:
        c.logout()


def test_keyword_length_setting(server_factory):
    srv = server_factory.start(ports=("imap",), plaintext=True,
                               extra=["mail_max_keyword_length = 10"])
    c = _login(srv, srv.users["alice"])
    try:
        _check_keywords(c, 10)
    finally:
        c.logout()


@pytest.mark.loft_only
def test_names_and_keywords_as_dovecot(server_factory):
    """Both servers, the same cases, the same answers (Dovecot's timing
    left out)."""
    if not dovecot_available():
        pytest.skip("Debian's Dovecot is not installed")
    seen = {}
    for kind in ("loft", "dovecot"):
        srv = server_factory.start(kind=kind, ports=("imap",),
                                   plaintext=True)
        c = _login(srv, srv.users["alice"])
        try:
            seen[kind] = _check_names(c) + _check_keywords(c, 50)
        finally:
            c.logout()
        server_factory.stop(srv)
    assert seen["loft"] == seen["dovecot"]
