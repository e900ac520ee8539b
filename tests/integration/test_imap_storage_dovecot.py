"""Storage interoperability with Debian's Dovecot for IMAP: folders,
subscriptions, special-use/autocreate, keywords, saves and copies.

Both directions: what Dovecot (doveadm, private instance) creates, Loft's
storage (tests/unit/storage/mailbox-tool) lists and opens the same way, and
what Loft creates, Dovecot sees with the same names, subscriptions,
UIDVALIDITY, UIDs, flags and keywords. Reuses the private Dovecot of
test_maildir_dovecot.py.
"""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from test_maildir_dovecot import BUILD_DIR, DOVEADM, DOVECOT, USER, Dovecot

TOOL = os.path.join(BUILD_DIR, "tests", "unit", "storage", "mailbox-tool")

pytestmark = [
    pytest.mark.skipif(not os.path.exists(DOVEADM) or not os.path.exists(DOVECOT),
                       reason="Dovecot is not installed"),
    pytest.mark.skipif(not os.path.exists(TOOL),
                       reason="mailbox-tool not built in %s" % BUILD_DIR),
]


def make_dovecot(suffix="", extra=()):
    top = tempfile.mkdtemp(prefix="loft-imap-storage.", dir="/tmp")
    os.chmod(top, 0o755)
    os.makedirs(os.path.join(top, "Maildir"))
    return Dovecot(top, location_suffix=suffix, extra_lines=extra)


@pytest.fixture
def dovecot():
    dc = make_dovecot()
    try:
        yield dc
    finally:
        dc.stop()
        shutil.rmtree(dc.top, ignore_errors=True)


@pytest.fixture
def dovecot_fs():
    dc = make_dovecot(":LAYOUT=fs")
    try:
        yield dc
    finally:
        dc.stop()
        shutil.rmtree(dc.top, ignore_errors=True)


def loft(dc, *args, sep=".", suffix="", check=True):
    out = subprocess.run([TOOL, "maildir:%s%s" % (dc.maildir, suffix), sep] + list(args),
                         capture_output=True, text=True)
    if check and out.returncode != 0:
        raise AssertionError("mailbox-tool %s failed (%d): %s" %
                             (args, out.returncode, out.stderr))
    return out


def loft_list(dc, sep=".", suffix="", autoboxes=()):
    args = []
    for a in autoboxes:
        args += ["-a", a]
    out = loft(dc, *(args + ["list"]), sep=sep, suffix=suffix).stdout
    result = {}
    for line in out.rstrip("\n").split("\n"):
        name, flags, special = line.split("\t")
        result[name] = (set(flags.split()), special)
    return result


def dovecot_list(dc, subscribed=False):
    args = ["mailbox", "list", "-u", USER]
    if subscribed:
        args.append("-s")
    out = dc.doveadm(*args)
    return set(n for n in out.split("\n")[1:] if n)


def test_dovecot_folders_listed_by_loft(dovecot):
    dovecot.doveadm("mailbox", "create", "-u", USER, "Sub.Folder", "B\u00e4d&Name",
                    "Top", "Top.Child")
    dovecot.doveadm("mailbox", "subscribe", "-u", USER, "Top", "B\u00e4d&Name",
                    "Gone")
    assert os.path.isdir(os.path.join(dovecot.maildir, ".B&AOQ-d&-Name"))
    listed = loft_list(dovecot)
    existing = set(n for n, (f, _) in listed.items() if "NonExistent" not in f)
    assert existing == dovecot_list(dovecot) - {"Sub"}
    assert listed["Sub"][0] == {"Noselect", "NonExistent", "HasChildren"}
    assert listed["Top"][0] == {"HasChildren", "Subscribed"}
    assert listed["Top.Child"][0] == {"HasNoChildren"}
    assert listed["Gone"][0] == {"NonExistent", "Subscribed"}
    subscribed = set(n for n, (f, _) in listed.items() if "Subscribed" in f)
    assert subscribed == dovecot_list(dovecot, subscribed=True)


def test_loft_folders_seen_by_dovecot(dovecot):
    for name in ("Sub.Folder", "B\u00e4d&Name", "Archive", "Archive.2024"):
        loft(dovecot, "create", name)
    assert loft(dovecot, "create", "Archive", check=False).returncode == 2
    for name in ("Archive.2024", "B\u00e4d&Name", "Never"):
        loft(dovecot, "subscribe", name)
    assert os.path.exists(os.path.join(dovecot.maildir, ".Sub.Folder", "maildirfolder"))
    assert dovecot_list(dovecot) >= {"INBOX", "Sub.Folder", "B\u00e4d&Name", "Archive",
                                     "Archive.2024"}
    assert dovecot_list(dovecot, subscribed=True) == {"Archive.2024", "B\u00e4d&Name",
                                                      "Never"}
    # Dovecot changes subscriptions, Loft reads its file and changes it back
    dovecot.doveadm("mailbox", "unsubscribe", "-u", USER, "Never")
    dovecot.doveadm("mailbox", "subscribe", "-u", USER, "Sub.Folder")
    listed = loft_list(dovecot)
    assert "Subscribed" in listed["Sub.Folder"][0]
    assert "Never" not in listed
    loft(dovecot, "unsubscribe", "Sub.Folder")
    assert dovecot_list(dovecot, subscribed=True) == {"Archive.2024", "B\u00e4d&Name"}


def test_loft_rename_keeps_uidvalidity(dovecot):
    dovecot.doveadm("mailbox", "create", "-u", USER, "Old", "Old.Kid")
    def uidvalidity(name):
        out = dovecot.doveadm("mailbox", "status", "-u", USER, "uidvalidity", name)
        return out.strip().split("\n")[1].split("\t")[-1]
    before = uidvalidity("Old.Kid")
    loft(dovecot, "rename", "Old", "New.Place")
    names = dovecot_list(dovecot)
    assert "Old" not in names and "Old.Kid" not in names
    assert {"New.Place", "New.Place.Kid"} <= names
    assert uidvalidity("New.Place.Kid") == before
    # renaming onto an existing mailbox is refused
    assert loft(dovecot, "rename", "New.Place", "INBOX", check=False).returncode != 0


def test_loft_delete_rules(dovecot):
    dovecot.doveadm("mailbox", "create", "-u", USER, "P.C", "Solo")
    assert loft(dovecot, "delete", "INBOX", check=False).returncode == 1
    # "P" is only a \Noselect parent: refused while it has children
    assert loft(dovecot, "delete", "P", check=False).returncode == 1
    assert loft(dovecot, "delete", "Nothing", check=False).returncode == 2
    loft(dovecot, "delete", "Solo")
    loft(dovecot, "delete", "P.C")
    assert dovecot_list(dovecot) == {"INBOX"}
    assert [n for n in os.listdir(dovecot.maildir) if n.startswith(".")] == []


def test_layout_fs_both_ways(dovecot_fs):
    dc = dovecot_fs
    dc.doveadm("mailbox", "create", "-u", USER, "Dove/Made")
    loft(dc, "create", "Loft/Made/Deep", sep="/", suffix=":LAYOUT=fs")
    loft(dc, "subscribe", "Loft/Made/Deep", sep="/", suffix=":LAYOUT=fs")
    assert os.path.isdir(os.path.join(dc.maildir, "Loft", "Made", "Deep", "cur"))
    listed = loft_list(dc, sep="/", suffix=":LAYOUT=fs")
    assert "Dove/Made" in listed and "Noselect" not in listed["Dove/Made"][0]
    assert {"Dove/Made", "Loft/Made/Deep"} <= dovecot_list(dc)
    assert dovecot_list(dc, subscribed=True) == {"Loft/Made/Deep"}


def test_autocreate_special_use(dovecot):
    boxes = ["Sent=\\Sent=subscribe", "Trash=\\Trash=create", "Junk=\\Junk=no"]
    args = []
    for b in boxes:
        args += ["-a", b]
    loft(dovecot, *(args + ["autocreate"]))
    assert {"Sent", "Trash"} <= dovecot_list(dovecot)
    assert "Junk" not in dovecot_list(dovecot)
    assert dovecot_list(dovecot, subscribed=True) == {"Sent"}
    listed = loft_list(dovecot, autoboxes=boxes)
    assert listed["Sent"] == ({"HasNoChildren", "Subscribed"}, "\\Sent")
    assert listed["Trash"][1] == "\\Trash"


def dovecot_fetch(dc, mailbox):
    """{uid: (set of flags and keywords, received unix time)}"""
    out = dc.doveadm("fetch", "-u", USER, "uid flags date.received", "mailbox", mailbox,
                     "all")
    result = {}
    for row in out.rstrip("\n").split("\n")[1:]:
        if not row:
            continue
        uid, flags, received = row.split("\t")
        result[int(uid)] = (set(flags.split()) - {"\\Recent"},
                            int(time.mktime(time.strptime(received, "%Y-%m-%d %H:%M:%S"))))
    return result


def dovecot_uidvalidity(dc, mailbox):
    out = dc.doveadm("mailbox", "status", "-u", USER, "uidvalidity uidnext", mailbox)
    header, values = out.strip().split("\n")
    st = dict(zip(header.split("\t"), values.split("\t")))
    return int(st["uidvalidity"]), int(st["uidnext"])


LETTER_FLAGS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered", "S": "\\Seen",
                "T": "\\Deleted"}


def loft_dump(dc, mailbox):
    out = loft(dc, "dump", mailbox).stdout.rstrip("\n").split("\n")
    uidvalidity = int(out[0].split()[1])
    uidnext = int(out[1].split()[1])
    mails = {}
    for line in out[2:]:
        uid, letters, kws, vsize, mtime = line.split(" ")
        flags = set(LETTER_FLAGS[c] for c in letters if c in LETTER_FLAGS)
        if kws != "-":
            flags |= set(kws.split(","))
        mails[int(uid)] = (flags, int(mtime))
    return uidvalidity, uidnext, mails


def loft_save(dc, mailbox, flags, keywords, when, body):
    out = subprocess.run([TOOL, "maildir:%s" % dc.maildir, ".", "save", mailbox, flags,
                          keywords, str(when)], input=body, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


MSG = "From: a@example.org\nSubject: %s\n\nbody %s\n"


def test_loft_saves_seen_by_dovecot(dovecot):
    loft(dovecot, "create", "Work")
    uid1 = loft_save(dovecot, "Work", "S", "$Label1,Project", 1600000000, MSG % (1, 1))
    uid2 = loft_save(dovecot, "Work", "FR", "Project", 1600000100, MSG % (2, 2))
    uid3 = loft_save(dovecot, "Work", "-", "-", 1600000200, MSG % (3, 3))
    assert (uid1, uid2, uid3) == (1, 2, 3)
    uidvalidity, uidnext, mails = loft_dump(dovecot, "Work")
    assert dovecot_uidvalidity(dovecot, "Work") == (uidvalidity, 4)
    assert dovecot_fetch(dovecot, "Work") == {
        1: ({"\\Seen", "$Label1", "Project"}, 1600000000),
        2: ({"\\Flagged", "\\Answered", "Project"}, 1600000100),
        3: (set(), 1600000200),
    }
    # Dovecot changes flags and keywords; Loft sees them
    dovecot.doveadm("flags", "add", "-u", USER, "\\Deleted NewOne", "mailbox", "Work",
                    "uid", "3")
    dovecot.doveadm("flags", "remove", "-u", USER, "Project", "mailbox", "Work", "uid", "1")
    _, _, mails = loft_dump(dovecot, "Work")
    assert mails[1][0] == {"\\Seen", "$Label1"}
    assert mails[3][0] == {"\\Deleted", "NewOne"}
    # and Loft's changes show in Dovecot
    loft(dovecot, "store", "Work", "2", "=", "S", "Other")
    assert dovecot_fetch(dovecot, "Work")[2][0] == {"\\Seen", "Other"}


def test_dovecot_saves_seen_by_loft(dovecot):
    dovecot.doveadm("mailbox", "create", "-u", USER, "Dove")
    for i in range(3):
        subprocess.run([DOVEADM, "-c", dovecot.conf, "save", "-u", USER, "-m", "Dove"],
                       input=MSG % (i, i), check=True, text=True)
    dovecot.doveadm("flags", "add", "-u", USER, "\\Seen $Label2 Junk", "mailbox", "Dove",
                    "uid", "2")
    dovecot.doveadm("flags", "add", "-u", USER, "\\Flagged Junk", "mailbox", "Dove",
                    "uid", "3")
    expected = dovecot_fetch(dovecot, "Dove")
    uidvalidity, uidnext, mails = loft_dump(dovecot, "Dove")
    assert (uidvalidity, uidnext) == dovecot_uidvalidity(dovecot, "Dove")
    assert mails == expected
    assert mails[2][0] == {"\\Seen", "$Label2", "Junk"}


def test_loft_copy_and_move_seen_by_dovecot(dovecot):
    dovecot.doveadm("mailbox", "create", "-u", USER, "Src", "Dst")
    subprocess.run([DOVEADM, "-c", dovecot.conf, "save", "-u", USER, "-m", "Src"],
                   input=MSG % ("c", "c"), check=True, text=True)
    subprocess.run([DOVEADM, "-c", dovecot.conf, "save", "-u", USER, "-m", "Src"],
                   input=MSG % ("m", "m"), check=True, text=True)
    dovecot.doveadm("flags", "add", "-u", USER, "\\Seen Keep", "mailbox", "Src", "uid", "1")
    dovecot.doveadm("flags", "add", "-u", USER, "Moved", "mailbox", "Src", "uid", "2")
    src = dovecot_fetch(dovecot, "Src")
    assert int(loft(dovecot, "copy", "Src", "1", "Dst").stdout) == 1
    assert int(loft(dovecot, "move", "Src", "2", "Dst").stdout) == 2
    dst = dovecot_fetch(dovecot, "Dst")
    assert dst == {1: src[1], 2: src[2]}
    assert sorted(dovecot_fetch(dovecot, "Src")) == [1]
    # the copy is a hard link of the original file
    src_files = os.listdir(os.path.join(dovecot.maildir, ".Src", "cur"))
    st = os.stat(os.path.join(dovecot.maildir, ".Src", "cur", src_files[0]))
    assert st.st_nlink == 2
    body = dovecot.doveadm("fetch", "-u", USER, "text", "mailbox", "Dst", "uid", "2")
    assert "body m" in body
