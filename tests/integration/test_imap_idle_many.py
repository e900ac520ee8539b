"""IDLE sessions beyond the per-uid inotify instance limit.

Virtual users share one uid, and fs.inotify.max_user_instances (128 by
default) counts per uid. Loft's mail process keeps one inotify instance for
all its mailboxes, so more IDLE sessions than that limit are all told of a
delivery into their new/ within the issue's deadline, while each of the
server's processes holds at most one inotify instance.
"""
import os
import socket
import time

import pytest

import loftlib

SESSIONS = 150          # more than the default max_user_instances
DEADLINE = 20.0         # seconds, for the whole group of sessions
# what the server may need: one per mail process, one per CPU
MAX_SERVER_INSTANCES = (os.cpu_count() or 1) + 1


def _inotify_fds(pids):
    n = 0
    for pid in pids:
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == \
                        "anon_inode:inotify":
                    n += 1
            except OSError:
                pass
    return n


def _pids(session=None, uid=None):
    """Processes in a session (the server's: it starts its own) or of a
    uid."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if uid is not None and os.stat("/proc/" + name).st_uid != uid:
                continue
            if session is not None:
                stat = open("/proc/%s/stat" % name).read()
                fields = stat[stat.rindex(")") + 2:].split()
                if int(fields[3]) != session:
                    continue
        except (OSError, ValueError):
            continue
        out.append(int(name))
    return out


class Session:
    """A raw IMAP connection reading whole lines."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=DEADLINE)
        self.buf = b""
        self.seen = []

    def readline(self, deadline):
        while b"\r\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no reply in time: %r" % self.seen)
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("connection closed: %r" % self.seen)
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        self.seen.append(line)
        return line

    def wait(self, pred, deadline):
        while True:
            line = self.readline(deadline)
            if pred(line):
                return line

    def command(self, tag, text, deadline):
        self.sock.sendall(b"%s %s\r\n" % (tag, text))
        line = self.wait(lambda l: l.startswith(tag + b" "), deadline)
        assert line.startswith(tag + b" OK"), self.seen
        return line

    def close(self):
        self.sock.close()


def test_idle_more_sessions_than_inotify_instances(server_factory):
    try:
        limit = int(open("/proc/sys/fs/inotify/max_user_instances").read())
    except OSError:
        pytest.skip("fs.inotify.max_user_instances is not readable")
    uid = loftlib.mail_owner()[0]
    used = _inotify_fds(_pids(uid=uid))
    if used + MAX_SERVER_INSTANCES > limit:
        pytest.skip("uid %d already holds %d of its %d inotify instances"
                    % (uid, used, limit))
    users = {"idle%03d" % i: "pw%03d" % i for i in range(SESSIONS)}
    msgs = [loftlib._msg(1, "first", "hello\n")]
    srv = server_factory.start(kind="loft", users=users, messages=msgs,
                               ports=("imap",), plaintext=True)
    sessions = []
    try:
        deadline = time.monotonic() + 60
        for name, pw in users.items():
            s = Session(srv.host, srv.port("imap"))
            sessions.append(s)
            assert s.readline(deadline).startswith(b"* OK"), s.seen
            s.command(b"a", b"LOGIN %s %s" % (name.encode(), pw.encode()),
                      deadline)
            s.command(b"b", b"SELECT INBOX", deadline)
            s.sock.sendall(b"c IDLE\r\n")
            assert s.wait(lambda l: not l.startswith(b"* "),
                          deadline) == b"+ idling", s.seen

        # each mail process (one per CPU for a shared uid) holds one
        held = {pid: _inotify_fds([pid])
                for pid in _pids(session=srv.proc.pid)}
        assert max(held.values()) <= 1, \
            "%d IDLE sessions: inotify instances per server process: %r" % (
                SESSIONS, {p: n for p, n in held.items() if n})

        # a delivery into every user's new/
        for i, name in enumerate(users):
            maildir = srv.users[name].home / "Maildir"
            tmp = maildir / "tmp" / ("1800000000.M%dP1.idle-many" % i)
            tmp.write_bytes(b"Subject: new\n\nhello\n")
            os.rename(tmp, maildir / "new" / tmp.name)
        deadline = time.monotonic() + DEADLINE
        for s in sessions:
            s.wait(lambda l: l == b"* 2 EXISTS", deadline)
        for s in sessions:
            s.sock.sendall(b"DONE\r\n")
        for s in sessions:
            line = s.wait(lambda l: l.startswith(b"c "), deadline)
            assert line.startswith(b"c OK"), s.seen
            s.command(b"d", b"LOGOUT", deadline)
    finally:
        for s in sessions:
            s.close()
    assert "no change notification" not in srv.log_text()
