"""Privileges of a master started as root: login processes as
default_login_user in a chroot, mail workers as the user's uid/gid from
the passwd-file userdb (or mail_uid/mail_gid), one worker per uid, and
uids below first_valid_uid (root among them) refused.

Everything is checked from outside, in /proc and the log.  Skipped when
the tests do not run as root, since nothing changes uid then."""

import grp
import os
import pwd
import re

import pytest

from loftlib import AUTH_FAILED, chown_tree, login_retry, mail_owner
from procs import (LogWatch, loft_cli, master_pid, proc_ids, proc_root,
                   service_pids, wait_until, worker_pids)

pytestmark = [
    pytest.mark.loft_only,
    pytest.mark.skipif(os.getuid() != 0,
                       reason="privilege separation needs the tests to run "
                       "as root"),
]


def unused_id(start):
    """A uid/gid number (the same for both) that no user or group has."""
    n = start
    while True:
        try:
            pwd.getpwuid(n)
        except KeyError:
            try:
                grp.getgrgid(n)
            except KeyError:
                return n
        n += 1


NOBODY_UID, NOBODY_GID, _ = mail_owner()
OTHER_ID = unused_id(61000)  # a uid with no passwd entry, as virtual users have
MAIL_ID = unused_id(OTHER_ID + 1)


def write_users(cfg, users, ids):
    """Rewrites the passwd-file with per-user uid/gid (None: empty field)
    and gives each Maildir to its owner."""
    lines = []
    for name, (uid, gid) in ids.items():
        u = users[name]
        lines.append("%s:{PLAIN}%s:%s:%s::%s::\n" % (
            name, u.password, "" if uid is None else uid,
            "" if gid is None else gid, u.home))
        owner = (uid if uid is not None else MAIL_ID,
                 gid if gid is not None else MAIL_ID)
        chown_tree(u.home, *owner)
    cfg.users_file.write_text("".join(lines))


USERS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw",
         "rooty": "rooty-pw", "lowuid": "lowuid-pw", "dave": "dave-pw"}
IDS = {
    "alice": (NOBODY_UID, NOBODY_GID),
    "carol": (NOBODY_UID, NOBODY_GID),   # shares alice's uid
    "bob": (OTHER_ID, OTHER_ID),
    "rooty": (0, 0),                     # root's uid
    "lowuid": (100, 100),                # below first_valid_uid = 500
    "dave": (None, None),                # mail_uid/mail_gid apply
}


@pytest.fixture(scope="module")
def priv_server(module_factory):
    cfg, users = module_factory.world(
        users=USERS, extra=["first_valid_uid = 500",
                            "mail_workers_per_uid = 1",
                            "mail_uid = %d" % MAIL_ID,
                            "mail_gid = %d" % MAIL_ID])
    write_users(cfg, users, IDS)
    return module_factory.start_with(cfg, users)


def login_user(config_path):
    out = loft_cli("-c", str(config_path), "-a")
    assert out.returncode == 0, out.stderr
    m = re.search(r"^default_login_user = (\S+)$", out.stdout, re.M)
    assert m, out.stdout
    return pwd.getpwnam(m.group(1))


def mpid_of(log, user):
    m = log.wait(r"pop3-login: Info: Login: user=<%s>,.* mpid=(\d+)," % user,
                 "the login line of %s" % user)
    return int(m.group(1))


def test_login_processes_run_as_default_login_user_in_chroot(priv_server):
    pw = login_user(priv_server.conf_path)
    assert pw.pw_uid != 0
    # a client held at the greeting keeps the login process that serves it
    # alive and set up while it is looked at (between the start-up probes
    # and the next client, the master may be replacing one)
    c = priv_server.poplib()
    assert c.getwelcome().startswith(b"+OK")
    master = master_pid(priv_server)
    logins = wait_until(lambda: service_pids(master, "pop3-login"),
                        "a pop3-login process")
    for pid in logins:
        uids, gids, groups = proc_ids(pid)
        assert uids == (pw.pw_uid,) * 4, uids
        assert gids == (pw.pw_gid,) * 4, gids
        assert 0 not in groups, groups
        root = proc_root(pid)
        assert root != "/", "pop3-login %d is not chrooted" % pid
        # nothing in there but sockets: no config, users or pid file
        inside = os.listdir("/proc/%d/root" % pid)
        assert not any(n.endswith((".conf", ".pid")) or n == "users"
                       for n in inside), inside
    c.quit()


def test_workers_run_as_the_users_uid(priv_server):
    s = priv_server
    log = LogWatch(s)
    sessions = {}
    for name in ("alice", "bob", "carol", "dave"):
        c = login_retry(s, s.users[name])
        count, _ = c.stat()  # reading the Maildir as that uid works
        assert count == len(s.users[name].messages)
        sessions[name] = c
    pids = {name: mpid_of(log, name) for name in sessions}
    workers = worker_pids(master_pid(s))
    try:
        for name, pid in pids.items():
            assert pid in workers, (name, pid, workers)
            uid, gid = IDS[name]
            if uid is None:
                uid, gid = MAIL_ID, MAIL_ID
            uids, gids, groups = proc_ids(pid)
            assert uids == (uid,) * 4, (name, uids)
            assert gids == (gid,) * 4, (name, gids)
            assert 0 not in groups, (name, groups)
        # one worker per uid
        assert pids["alice"] == pids["carol"]
        assert len({pids["alice"], pids["bob"], pids["dave"]}) == 3, pids
    finally:
        for c in sessions.values():
            c.quit()


@pytest.mark.parametrize("name", ["rooty", "lowuid"])
def test_uid_below_first_valid_uid_is_refused(priv_server, name):
    s = priv_server
    log = LogWatch(s)
    c = s.raw()
    try:
        assert c.cmd("USER " + name).startswith(b"+OK")
        r = c.cmd("PASS " + s.users[name].password)
        assert r.startswith(b"-ERR"), r
        assert r != AUTH_FAILED, "the password was right: %r" % r
    finally:
        c.close()
    m = log.wait(r"^.*\b%s\b.*first_valid_uid.*$" % name,
                 "a log line saying why %s was refused" % name)
    assert "Error" in m.group(0), m.group(0)
    for pid in worker_pids(master_pid(s)):
        uids, _, _ = proc_ids(pid)
        assert uids[0] not in (0, 100), (pid, uids)
    # others are still served
    c = login_retry(s, s.users["alice"])
    c.quit()


SPREAD_USERS = {n: n + "-pw" for n in
                ("alice", "bob", "carol", "dave", "erin", "frank")}


def test_users_sharing_a_uid_spread_over_workers(module_factory):
    """mail_workers_per_uid: users of one uid are spread over several
    workers, all running as that uid, and a user always lands in the same
    one (so its session lock and per-user limits hold)."""
    cfg, users = module_factory.world(
        users=SPREAD_USERS, extra=["first_valid_uid = 500",
                                   "mail_workers_per_uid = 3"])
    write_users(cfg, users, {n: (NOBODY_UID, NOBODY_GID)
                             for n in SPREAD_USERS})
    s = module_factory.start_with(cfg, users)
    first = {}
    for name in SPREAD_USERS:
        for _ in range(2):
            log = LogWatch(s)
            c = login_retry(s, s.users[name])
            c.stat()
            pid = mpid_of(log, name)
            c.quit()
            assert first.setdefault(name, pid) == pid, (name, first, pid)
    workers = worker_pids(master_pid(s))
    distinct = set(first.values())
    assert 2 <= len(distinct) <= 3, first
    for pid in distinct:
        assert pid in workers, (pid, workers)
        uids, gids, _ = proc_ids(pid)
        assert uids == (NOBODY_UID,) * 4 and gids == (NOBODY_GID,) * 4
