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
