"""Maildir interoperability with Debian's Dovecot.

Both directions: Dovecot assigns UIDs first and Loft's storage must see the
same UIDVALIDITY, UIDs, flags, sizes and POP3 UIDLs; Loft assigns first (and
changes flags, expunges) and Dovecot must see the same. Loft's side is the
maildir-dump helper (tests/unit/storage/maildir-dump.c); Dovecot's side is a
private Dovecot instance (no listeners) queried with doveadm and its pop3
binary (doveadm exec pop3).

The build directory comes from LOFT_BUILD_DIR (default: the repository's
build/).
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

DOVEADM = "/usr/bin/doveadm"
DOVECOT = "/usr/sbin/dovecot"
BUILD_DIR = os.environ.get(
    "LOFT_BUILD_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                 "build"))
DUMP = os.path.join(BUILD_DIR, "tests", "unit", "storage", "maildir-dump")
DEFAULT_UIDL = "%08Xu%08Xv"
USER = "loftuser"

FLAG_LETTERS = {
    "\\Draft": "D",
    "\\Flagged": "F",
    "\\Answered": "R",
    "\\Seen": "S",
    "\\Deleted": "T",
}

pytestmark = [
    pytest.mark.skipif(not os.path.exists(DOVEADM) or not os.path.exists(DOVECOT),
                       reason="Dovecot is not installed"),
    pytest.mark.skipif(not os.path.exists(DUMP),
                       reason="maildir-dump not built in %s" % BUILD_DIR),
]


class Dovecot:
    """A private Dovecot with a passwd-file user whose mail is `maildir`."""

    def __init__(self, top, location_suffix="", extra_lines=()):
        self.top = top
        self.maildir = os.path.join(top, "Maildir")
        self.conf = os.path.join(top, "dovecot.conf")
        self.base_dir = os.path.join(top, "run")
        if os.getuid() == 0:
            # Dovecot refuses mail access as root: use nobody.
            self.uid, self.gid = 65534, 65534
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        import pwd
        import grp
        me = pwd.getpwuid(os.getuid()).pw_name
        my_group = grp.getgrgid(os.getgid()).gr_name
        passwd = os.path.join(top, "passwd")
        with open(passwd, "w") as f:
            f.write("%s:{PLAIN}secret:%d:%d::%s::\n" % (USER, self.uid, self.gid, top))
        lines = [
            "mail_location = maildir:%s%s" % (self.maildir, location_suffix),
            "base_dir = %s" % self.base_dir,
            "log_path = %s" % os.path.join(top, "dovecot.log"),
            "protocols =",
            "ssl = no",
            "first_valid_uid = 1",
            "first_valid_gid = 1",
            "passdb {\n  driver = passwd-file\n  args = %s\n}" % passwd,
            "userdb {\n  driver = passwd-file\n  args = %s\n}" % passwd,
        ]
        lines += list(extra_lines)
        if os.getuid() != 0:
            lines += [
                "default_internal_user = %s" % me,
                "default_internal_group = %s" % my_group,
                "default_login_user = %s" % me,
            ]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        subprocess.run([DOVECOT, "-c", self.conf], check=True)
        # wait until the userdb socket is there
        for _ in range(100):
            if os.path.exists(os.path.join(self.base_dir, "auth-userdb")):
                break
            time.sleep(0.05)

    def stop(self):
        pidfile = os.path.join(self.base_dir, "master.pid")
        try:
            with open(pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def give_to_mail_user(self):
        """Lets Dovecot's mail process (which runs as the mail uid) write."""
        if os.getuid() != 0:
            return
        for root, dirs, files in os.walk(self.maildir):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), self.uid, self.gid)
        os.lchown(self.maildir, self.uid, self.gid)

    def doveadm(self, *args):
        self.give_to_mail_user()
        out = subprocess.run([DOVEADM, "-c", self.conf, "-f", "tab"] + list(args),
                             check=True, capture_output=True, text=True)
        return out.stdout

    def status(self):
        out = self.doveadm("mailbox", "status", "-u", USER,
                           "uidvalidity uidnext messages", "INBOX")
        header, values = out.strip().split("\n")
        st = dict(zip(header.split("\t"), values.split("\t")))
        return int(st["uidvalidity"]), int(st["uidnext"]), int(st["messages"])

    def fetch(self):
        """{uid: (flag letters, guid)}"""
        out = self.doveadm("fetch", "-u", USER, "uid flags guid", "all")
        rows = out.rstrip("\n").split("\n")[1:]
        result = {}
        for row in rows:
            if not row:
                continue
            uid, flags, guid = row.split("\t")
            letters = "".join(sorted(FLAG_LETTERS[f] for f in flags.split()
                                     if f in FLAG_LETTERS))
            result[int(uid)] = (letters or "-", guid)
        return result

    def pop3(self, commands):
        self.give_to_mail_user()
        data = "".join(c + "\r\n" for c in commands + ["QUIT"])
        out = subprocess.run([DOVEADM, "-c", self.conf, "exec", "pop3", "-u", USER],
                             input=data, capture_output=True, text=True, check=True)
        return out.stdout.replace("\r\n", "\n")

    def pop3_uidls_and_sizes(self):
        out = self.pop3(["UIDL", "LIST"])
        blocks = out.split("\n.\n")
        uidls = [line.split()[1] for line in blocks[0].split("\n")[1:] if line]
        sizes = [int(line.split()[1]) for line in blocks[1].split("\n")[1:] if line]
        return uidls, sizes

    def save(self, message):
        self.give_to_mail_user()
        subprocess.run([DOVEADM, "-c", self.conf, "save", "-u", USER],
                       input=message, check=True, text=True)

    def expunge_uid(self, uid):
        self.doveadm("expunge", "-u", USER, "mailbox", "INBOX", "uid", str(uid))


def loft_dump(maildir, *args, uidl_format=DEFAULT_UIDL):
    out = subprocess.run([DUMP, "-u", uidl_format] + list(args) + [maildir],
                         check=True, capture_output=True, text=True).stdout
    lines = out.strip("\n").split("\n")
    uidvalidity = int(lines[0].split()[1])
    uidnext = int(lines[1].split()[1])
    mails = []
    for line in lines[2:]:
        uid, flags, uidl, vsize, basename = line.split(" ", 4)
        mails.append((int(uid), flags, uidl, int(vsize), basename))
    return uidvalidity, uidnext, mails


@pytest.fixture
def dovecot():
    top = tempfile.mkdtemp(prefix="loft-maildir-interop.", dir="/tmp")
    os.chmod(top, 0o755)
    dc = Dovecot(top)
    try:
        yield dc
    finally:
        dc.stop()
        shutil.rmtree(top, ignore_errors=True)


def write(path, content):
    with open(path, "wb") as f:
        f.write(content)


def populate(maildir):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    write(os.path.join(maildir, "cur", "1700000000.M5P5.host:2,FS"),
          b"Subject: seen and flagged\n\nbody\n")
    write(os.path.join(maildir, "new", "1700000002.M10P7.host"),
          b"Subject: ten\n\nline\nline\n")
    write(os.path.join(maildir, "new", "1700000002.M2P7.host"),
          b"Subject: two\r\n\r\ncrlf body\r\n")
    write(os.path.join(maildir, "new", "1699999999.M900000P3.other,S=17,W=19"),
          b"Subject: x\n\nabc\n")
    write(os.path.join(maildir, "cur", "1700000005.M1P1.host:2,RT"),
          b"Subject: answered, deleted\n\n.\n")


def test_dovecot_assigns_loft_reads(dovecot):
    populate(dovecot.maildir)
    uidvalidity, uidnext, count = dovecot.status()
    dv = dovecot.fetch()
    assert count == 5 and uidnext == 6

    l_uidvalidity, l_uidnext, mails = loft_dump(dovecot.maildir)
    assert l_uidvalidity == uidvalidity
    assert l_uidnext == uidnext
    assert {m[0]: (m[1], m[4]) for m in mails} == dv

    # Dovecot's POP3 server gives the same UIDLs and sizes
    uidls, sizes = dovecot.pop3_uidls_and_sizes()
    assert uidls == [m[2] for m in mails]
    assert sizes == [m[3] for m in mails]
    assert uidls[0] == "%08x%08x" % (1, uidvalidity)

    # and other UIDL formats agree with what Dovecot documents
    _, _, mails2 = loft_dump(dovecot.maildir, uidl_format="%v.%u")
    assert [m[2] for m in mails2] == ["%d.%d" % (uidvalidity, m[0]) for m in mails]
    _, _, mails3 = loft_dump(dovecot.maildir, uidl_format="%g")
    assert [m[2] for m in mails3] == [dv[m[0]][1] for m in mails]


def test_loft_assigns_dovecot_reads(dovecot):
    populate(dovecot.maildir)
    uidvalidity, uidnext, mails = loft_dump(dovecot.maildir)
    assert [m[0] for m in mails] == [1, 2, 3, 4, 5]
    assert uidnext == 6
    # new/ was moved into cur/
    assert os.listdir(os.path.join(dovecot.maildir, "new")) == []

    d_uidvalidity, d_uidnext, count = dovecot.status()
    assert (d_uidvalidity, d_uidnext, count) == (uidvalidity, uidnext, 5)
    assert dovecot.fetch() == {m[0]: (m[1], m[4]) for m in mails}
    uidls, sizes = dovecot.pop3_uidls_and_sizes()
    assert uidls == [m[2] for m in mails]
    assert sizes == [m[3] for m in mails]


def test_loft_changes_dovecot_sees(dovecot):
    populate(dovecot.maildir)
    uidvalidity, _, mails = loft_dump(dovecot.maildir)
    dovecot.status()  # Dovecot builds its index now
    _, uidnext, mails = loft_dump(dovecot.maildir, "-F", "1=S", "-F", "3=DR",
                                  "-e", "4")
    assert [m[0] for m in mails] == [1, 2, 3, 5]
    d_uidvalidity, d_uidnext, count = dovecot.status()
    assert (d_uidvalidity, d_uidnext, count) == (uidvalidity, 6, 4)
    dv = dovecot.fetch()
    assert dv == {m[0]: (m[1], m[4]) for m in mails}
    assert dv[1][0] == "S" and dv[2][0] == "FS" and dv[3][0] == "DR"


def test_dovecot_changes_loft_sees(dovecot):
    populate(dovecot.maildir)
    uidvalidity, _, _ = loft_dump(dovecot.maildir)
    dovecot.save("Subject: saved by dovecot\n\nhello\n")
    dovecot.save("Subject: another\n\nhello again\n")
    dovecot.expunge_uid(2)
    dovecot.doveadm("flags", "add", "-u", USER, "\\Seen \\Answered",
                    "mailbox", "INBOX", "uid", "3")
    d_uidvalidity, d_uidnext, count = dovecot.status()
    dv = dovecot.fetch()
    assert d_uidvalidity == uidvalidity and count == 6 and d_uidnext == 8

    l_uidvalidity, l_uidnext, mails = loft_dump(dovecot.maildir)
    assert (l_uidvalidity, l_uidnext) == (d_uidvalidity, d_uidnext)
    assert {m[0]: (m[1], m[4]) for m in mails} == dv
    uidls, sizes = dovecot.pop3_uidls_and_sizes()
    assert uidls == [m[2] for m in mails]
    assert sizes == [m[3] for m in mails]


def test_many_new_files_same_order(dovecot):
    """Several new files found by one sync get UIDs in the same order."""
    os.makedirs(os.path.join(dovecot.maildir, "new"))
    os.makedirs(os.path.join(dovecot.maildir, "cur"))
    os.makedirs(os.path.join(dovecot.maildir, "tmp"))
    names = []
    for i, (secs, usecs, host) in enumerate([
            (1700000100, 5, "b"), (1700000100, 40, "a"), (1700000100, 400, "a"),
            (1700000099, 999999, "z"), (1700000100, 5, "a"), (1700000101, 0, "a"),
            (1700000100, 7, "c")]):
        name = "%d.M%dP%d.%s" % (secs, usecs, 100 + i, host)
        names.append(name)
        write(os.path.join(dovecot.maildir, "new", name), b"Subject: %d\n\nx\n" % i)
    copy = dovecot.maildir + "-copy"
    shutil.copytree(dovecot.maildir, copy)
    dovecot.status()
    dv = dovecot.fetch()
    _, _, mails = loft_dump(copy)
    assert [m[4] for m in mails] == [dv[uid][1] for uid in sorted(dv)]
