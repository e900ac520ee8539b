"""UIDL compatibility with Debian's Dovecot on the same Maildir: whichever
server sees the Maildir first writes dovecot-uidlist, the other must
report exactly the same UIDLs (default pop3_uidl_format %08Xu%08Xv), also
for mail delivered later and after deletions."""

import os

import pytest

from conftest import SERVER_KIND, require_dovecot
from loftlib import free_port, login_retry, standard_messages, write_maildir, mail_owner

pytestmark = pytest.mark.dovecot


def _snapshot(factory, cfg, users, kind, user="alice", dele=()):
    """Starts `kind` on the world, returns (UIDL lines, LIST lines) for
    user, optionally deleting messages at QUIT, and stops the server."""
    cfg.ports = {"pop3": free_port(), "pop3s": free_port()}
    srv = factory.start_with(cfg, users, kind=kind)
    try:
        c = login_retry(srv, users[user])
        uidl = c.uidl()[1]
        listing = c.list()[1]
        for n in dele:
            c.dele(n)
        assert c.quit().startswith(b"+OK")
        c.close()
    finally:
        factory.stop(srv)
    return uidl, listing


def _deliver(user, first_index, count):
    uid, gid, _ = mail_owner()
    msgs = standard_messages(large_size=64 * 1024)[:count]
    tmp = user.maildir / "new-batch"
    paths = write_maildir(tmp, msgs, uid, gid, start=1800000000 + first_index)
    for p in paths:
        os.rename(p, user.maildir / "new" / p.name.split(":")[0])
    for sub in ("new", "cur", "tmp"):
        os.rmdir(tmp / sub)
    os.rmdir(tmp)


@pytest.mark.parametrize("first", ["dovecot", "subject"])
def test_uidl_equal_to_dovecot(server_factory, first):
    require_dovecot()
    subject = SERVER_KIND
    order = ["dovecot", subject] if first == "dovecot" else [subject, "dovecot"]
    cfg, users = server_factory.world()
    u = users["alice"]

    a = _snapshot(server_factory, cfg, users, order[0])
    assert (u.maildir / "dovecot-uidlist").exists(), \
        "%s did not write dovecot-uidlist" % order[0]
    b = _snapshot(server_factory, cfg, users, order[1])
    assert b == a, "UIDL/LIST differ (%s first)" % order[0]
    assert len(a[0]) == len(u.messages)

    # Mail delivered afterwards: the second server assigns the next UIDs,
    # the first must agree.
    _deliver(u, 0, 3)
    b2 = _snapshot(server_factory, cfg, users, order[1])
    a2 = _snapshot(server_factory, cfg, users, order[0])
    assert len(b2[0]) == len(u.messages) + 3
    assert b2[0][:len(u.messages)] == a[0]
    assert a2 == b2

    # Deletions by one are seen by the other.
    kept_a, _ = _snapshot(server_factory, cfg, users, order[0], dele=(2, 5))
    after_b = _snapshot(server_factory, cfg, users, order[1])
    want = [l.split()[1] for i, l in enumerate(kept_a, 1) if i not in (2, 5)]
    assert [l.split()[1] for l in after_b[0]] == want
