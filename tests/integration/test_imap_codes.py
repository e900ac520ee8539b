"""The response codes of RFC 5530 that a storage failure or a storage limit
earns:

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
  keyword is refused (STORE and APPEND), and a mailbox name may have 16
  hierarchy levels. Dovecot keeps further keywords in its own index and
  allows deeper names, so it has neither limit: these are Loft's.

Hence loft_only; with LOFT_TEST_SERVER=dovecot the differences show."""

import imaplib
import os
import shutil
import subprocess

import pytest

from loftlib import chown_tree, crlf, mail_owner

pytestmark = pytest.mark.loft_only

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


def test_hierarchy_depth_is_limit(server_factory):
    srv = server_factory.start(ports=("imap",), plaintext=True)
    u = srv.users["alice"]
    c = _login(srv, u)
    try:
        deep = ".".join("l%02d" % i for i in range(16))
        assert c.create(deep)[0] == "OK"
        typ, data = c.create(deep + ".l16")
        assert typ == "NO", data
        assert _code(data).startswith(b"[LIMIT] "), data
        typ, data = c.rename(deep, deep + ".l16")
        assert typ == "NO", data
        assert _code(data).startswith(b"[LIMIT] "), data
        # too long stays [CANNOT], as Dovecot answers it
        typ, data = c.create("n" * 300)
        assert typ == "NO", data
        assert _code(data).startswith(b"[CANNOT] "), data
    finally:
        c.logout()
