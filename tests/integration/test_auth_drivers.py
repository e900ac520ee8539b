"""System-user auth drivers through the real server over POP3: the
shadow and passwd passdbs, the passwd userdb, and the pam passdb (service
name per protocol, pam_listfile allow/deny, a hanging PAM module that
fails only its own login after the lookup timeout while others keep
logging in).

Real system users are created with useradd (random names, SHA512-CRYPT
passwords from `openssl passwd -6`) and removed at teardown; PAM services
get unique names (/etc/pam.d/loft-t-<random>...) so that no existing
service changes meaning, and are removed too.  Needs root.
"""

import os
import pwd
import re
import secrets
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import loftlib
from loftlib import LoftServer, write_maildir
from pop3client import RawPop3

pytestmark = [
    pytest.mark.loft_only,
    pytest.mark.skipif(os.getuid() != 0,
                       reason="creating system users and PAM services "
                              "needs root"),
    pytest.mark.skipif(shutil.which("useradd") is None,
                       reason="useradd (passwd package) not installed"),
]

PAM_MODULE_DIRS = ["/lib/x86_64-linux-gnu/security", "/usr/lib/security",
                   "/lib/security", "/usr/lib64/security"]
SYS_TEMP = b"-ERR [SYS/TEMP]"


def pam_module_available(name):
    return any(os.path.exists(os.path.join(d, name)) for d in PAM_MODULE_DIRS)


class SystemUsers:
    """Creates system users with a home and a Maildir; removes them."""

    def __init__(self, root):
        self.root = Path(root)
        self.names = []

    def add(self, password, messages=None):
        name = "lft%s" % secrets.token_hex(5)
        home = self.root / "sys-home" / name
        home.parent.mkdir(exist_ok=True)
        os.chmod(home.parent, 0o755)
        pwhash = subprocess.run(
            ["openssl", "passwd", "-6", "-stdin"], input=password.encode(),
            check=True, capture_output=True).stdout.decode().strip()
        subprocess.run(["useradd", "-M", "-d", str(home), "-s",
                        "/usr/sbin/nologin", "-p", pwhash, name],
                       check=True, capture_output=True)
        self.names.append(name)
        pw = pwd.getpwnam(name)
        home.mkdir()
        msgs = messages if messages is not None else \
            loftlib.standard_messages(large_size=1024)[:3]
        write_maildir(home / "Maildir", msgs, pw.pw_uid, pw.pw_gid)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        return loftlib.User(name, password, home, msgs)

    def lock(self, user):
        subprocess.run(["usermod", "-L", user.name], check=True,
                       capture_output=True)

    def cleanup(self):
        for name in self.names:
            # -f: a mail process of the user may still be exiting
            subprocess.run(["userdel", "-f", name], capture_output=True)
        self.names = []


class PamServices:
    """Writes /etc/pam.d/<unique name> files; removes them."""

    def __init__(self):
        self.prefix = "loft-t-%s" % secrets.token_hex(4)
        self.paths = []

    def add(self, suffix, text):
        path = Path("/etc/pam.d") / ("%s-%s" % (self.prefix, suffix))
        path.write_text(text)
        self.paths.append(path)
        return path.name

    def cleanup(self):
        for p in self.paths:
            try:
                p.unlink()
            except FileNotFoundError:
                pass


@pytest.fixture
def sysusers():
    d = loftlib.WorkDir(prefix="loft-it-sysusers-")
    su = SystemUsers(d.path)
    yield su
    su.cleanup()
    d.cleanup()


@pytest.fixture
def pam_services():
    ps = PamServices()
    yield ps
    ps.cleanup()


DB_BLOCK_23 = re.compile(r"passdb \{.*?\n\}\nuserdb \{.*?\n\}\n", re.S)
DB_BLOCK_24 = re.compile(r"passdb passwd-file \{.*?\n\}\n"
                         r"userdb passwd-file \{.*?\n\}\n", re.S)


def start_with_dbs(factory, dbs, v24=False):
    """Starts a server whose passdb/userdb sections are `dbs` (config
    text) instead of the default passwd-file pair, with plaintext logins
    allowed on loopback.  The world's passwd-file users stay available
    as cfg.users_file."""
    cfg, us = factory.world(plaintext=True, ports=("pop3",))
    srv = LoftServer(cfg, us, factory.cert[0], v24=v24)
    text = srv.conf_path.read_text()
    block = DB_BLOCK_24 if v24 else DB_BLOCK_23
    dbs = dbs.replace("@USERS@", str(cfg.users_file))
    new, n = block.subn(lambda m: dbs, text, count=1)
    assert n == 1, "config layout changed; cannot replace the db sections"
    srv.conf_path.write_text(new)
    factory.servers.append(srv)
    return srv.start()


def pop3_login(srv, name, password):
    """The PASS reply of a USER/PASS login (connection closed after)."""
    c = srv.raw()
    try:
        r = c.cmd("USER " + name)
        assert r.startswith(b"+OK"), r
        return c.cmd("PASS " + password)
    finally:
        c.close()


def pop3_stat(srv, user):
    c = srv.raw()
    try:
        c.login(user.name, user.password)
        r = c.cmd("STAT")
        c.cmd("QUIT")
        return r
    finally:
        c.close()


# ------------------------------------------------------------- shadow ---

SHADOW_DBS = """passdb {
  driver = shadow
}
userdb {
  driver = passwd
}
"""


def test_shadow_passdb_and_passwd_userdb(server_factory, sysusers):
    u = sysusers.add("Sh4dow pass!")
    other = sysusers.add("other-pw")
    srv = start_with_dbs(server_factory, SHADOW_DBS)

    # The mail process runs as the user and reads the Maildir in the
    # home that the passwd userdb returned.
    assert pop3_stat(srv, u) == b"+OK %d %d" % (
        len(u.messages), sum(loftlib.wire_size(m) for m in u.messages))

    wrong = pop3_login(srv, u.name, "Sh4dow pass?")
    unknown = pop3_login(srv, "lftnosuchuser", "Sh4dow pass!")
    crossed = pop3_login(srv, u.name, other.password)
    assert wrong == loftlib.AUTH_FAILED
    assert unknown == wrong
    assert crossed == wrong

    # A locked account ('!' in /etc/shadow) is refused with the same
    # answer, even with the right password.
    sysusers.lock(other)
    assert pop3_login(srv, other.name, other.password) == wrong


def test_shadow_passdb_24_syntax(server_factory, sysusers):
    u = sysusers.add("v24-shadow")
    srv = start_with_dbs(server_factory, """passdb shadow {
  lookup_timeout = 10 secs
}
userdb passwd {
}
""", v24=True)
    assert pop3_login(srv, u.name, u.password).startswith(b"+OK")
    assert pop3_login(srv, u.name, "nope") == loftlib.AUTH_FAILED


def test_system_and_virtual_users_in_one_chain(server_factory, sysusers):
    """passwd-file virtual users and shadow system users side by side."""
    u = sysusers.add("sys-pw")
    srv = start_with_dbs(server_factory, """passdb {
  driver = passwd-file
  args = scheme=PLAIN @USERS@
}
passdb {
  driver = shadow
}
userdb {
  driver = passwd-file
  args = @USERS@
}
userdb {
  driver = passwd
}
""")
    alice = srv.users["alice"]
    assert pop3_stat(srv, alice).startswith(b"+OK 6 ")
    assert pop3_stat(srv, u).startswith(b"+OK 3 ")
    assert pop3_login(srv, u.name, alice.password) == loftlib.AUTH_FAILED


# ---------------------------------------------------------------- pam ---

def pam_unix_stack(extra_auth=""):
    return ("%sauth required pam_unix.so\n"
            "account required pam_unix.so\n" % extra_auth)


@pytest.mark.skipif(not pam_module_available("pam_listfile.so"),
                    reason="pam_listfile.so not installed")
def test_pam_listfile_allow_and_deny(server_factory, sysusers, pam_services,
                                     tmp_path):
    allowed = sysusers.add("allowed-pw")
    denied = sysusers.add("denied-pw")
    listfile = tmp_path / "allowed-users"
    listfile.write_text(allowed.name + "\n")
    os.chmod(listfile, 0o644)
    service = pam_services.add("list", pam_unix_stack(
        "auth required pam_listfile.so onerr=fail item=user sense=allow "
        "file=%s\n" % listfile))
    srv = start_with_dbs(server_factory, """passdb {
  driver = pam
  args = %s
}
userdb {
  driver = passwd
}
""" % service)
    assert pop3_stat(srv, allowed).startswith(b"+OK 3 ")
    # right password, but not in the list
    assert pop3_login(srv, denied.name, denied.password) == \
        loftlib.AUTH_FAILED
    assert pop3_login(srv, allowed.name, "wrong") == loftlib.AUTH_FAILED
    assert pop3_login(srv, "lftnosuchuser", "x") == loftlib.AUTH_FAILED


@pytest.mark.parametrize("v24", [False, True], ids=["2.3", "2.4"])
def test_pam_service_name_per_protocol(server_factory, sysusers,
                                       pam_services, v24):
    """The service name expands the protocol: '<prefix>-%s' reads
    /etc/pam.d/<prefix>-pop3 for POP3 logins, nothing else."""
    u = sysusers.add("per-service-pw")
    pam_services.add("pop3", pam_unix_stack())
    if v24:
        dbs = """passdb pam {
  passdb_pam_service_name = %s-%%{protocol}
}
userdb passwd {
}
""" % pam_services.prefix
    else:
        dbs = """passdb {
  driver = pam
  args = session=yes setcred=yes max_requests=50 %s-%%s
}
userdb {
  driver = passwd
}
""" % pam_services.prefix
    srv = start_with_dbs(server_factory, dbs, v24=v24)
    assert pop3_login(srv, u.name, u.password).startswith(b"+OK")
    assert pop3_login(srv, u.name, "wrong") == loftlib.AUTH_FAILED


@pytest.mark.skipif(not pam_module_available("pam_exec.so"),
                    reason="pam_exec.so not installed")
@pytest.mark.parametrize("show", [False, True], ids=["generic", "show_msg"])
def test_pam_failure_show_msg(server_factory, sysusers, pam_services,
                              tmp_path, show):
    """failure_show_msg=yes replaces the generic answer with the PAM
    module's error message; without it the answer stays generic."""
    u = sysusers.add("show-msg-pw")
    script = tmp_path / "refuse.sh"
    script.write_text("#!/bin/sh\nexit 1\n")
    os.chmod(script, 0o755)
    os.chmod(tmp_path, 0o755)
    # pam_exec without "quiet" reports the failure through the
    # conversation as a PAM_ERROR_MSG.
    service = pam_services.add("refuse", pam_unix_stack(
        "auth required pam_exec.so %s\n" % script))
    srv = start_with_dbs(server_factory, """passdb {
  driver = pam
  args = %s%s
}
userdb {
  driver = passwd
}
""" % ("failure_show_msg=yes " if show else "", service))
    r = pop3_login(srv, u.name, u.password)
    if show:
        assert r.startswith(b"-ERR [AUTH] "), r
        assert b"exit code 1" in r, r
    else:
        assert r == loftlib.AUTH_FAILED


# --------------------------------------------------------- hung PAM ---

HANG_SCRIPT = """#!/bin/sh
# pam_exec hook: records who asked and from where, and blocks the users
# listed in HANGUSERS until the test releases the FIFO.
echo "$PAM_USER $PAM_RHOST $PAM_SERVICE" >> "{log}"
case " $(cat "{hangusers}") " in
*" $PAM_USER "*)
	touch "{markers}/$PAM_USER.$$"
	cat "{fifo}" > /dev/null
	;;
esac
exit 0
"""


class Hang:
    def __init__(self, d):
        self.dir = Path(d)
        self.fifo = self.dir / "release"
        self.markers = self.dir / "markers"
        self.log = self.dir / "pam.log"
        self.hangusers = self.dir / "hangusers"
        self.script = self.dir / "hang.sh"
        os.mkfifo(self.fifo)
        self.markers.mkdir()
        self.hangusers.write_text("")
        self.script.write_text(HANG_SCRIPT.format(
            log=self.log, hangusers=self.hangusers, markers=self.markers,
            fifo=self.fifo))
        os.chmod(self.script, 0o755)

    def started(self, name):
        return len([p for p in self.markers.iterdir()
                    if p.name.startswith(name + ".")])

    def wait_started(self, name, count=1, deadline=20):
        end = time.monotonic() + deadline
        while self.started(name) < count:
            assert time.monotonic() < end, \
                "PAM hook for %s did not start" % name
            time.sleep(0.02)  # polling interval

    def release(self):
        """Unblocks every hook waiting on the FIFO."""
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                return  # no reader left
            os.close(fd)
            time.sleep(0.02)  # let the readers see EOF


@pytest.fixture
def hang(tmp_path):
    os.chmod(tmp_path, 0o755)
    h = Hang(tmp_path)
    yield h
    h.release()


class PendingLogin:
    """A USER/PASS login whose PASS reply is read later."""

    def __init__(self, srv, name, password):
        self.c = srv.raw()
        r = self.c.cmd("USER " + name)
        assert r.startswith(b"+OK"), r
        self.c.send("PASS %s\r\n" % password)

    def has_reply(self):
        if self.c.buf:
            return True
        r, _, _ = select.select([self.c.sock], [], [], 0)
        return bool(r)

    def reply(self):
        try:
            return self.c.readline()
        finally:
            self.c.close()


@pytest.mark.skipif(not pam_module_available("pam_exec.so"),
                    reason="pam_exec.so not installed")
def test_pam_hang_times_out_others_keep_logging_in(server_factory, sysusers,
                                                   pam_services, hang):
    stuck = sysusers.add("stuck-pw")
    good = sysusers.add("good-pw")
    hang.hangusers.write_text(stuck.name + "\n")
    service = pam_services.add("hang", pam_unix_stack(
        "auth required pam_exec.so quiet %s\n" % hang.script))
    srv = start_with_dbs(server_factory, """passdb {
  driver = passwd-file
  args = scheme=PLAIN @USERS@
}
passdb {
  driver = pam
  args = lookup_timeout=4s %s
}
userdb {
  driver = passwd-file
  args = @USERS@
}
userdb {
  driver = passwd
}
""" % service)

    # As many stuck logins as the auth process has worker threads (one
    # per CPU), and one more.
    n_stuck = (os.cpu_count() or 1) + 1
    pending = [PendingLogin(srv, stuck.name, stuck.password)
               for _ in range(n_stuck)]
    hang.wait_started(stuck.name, count=min(n_stuck, os.cpu_count() or 1))

    # While they hang: a virtual user (passwd-file passdb in the same
    # chain) logs in.
    alice = srv.users["alice"]
    assert pop3_login(srv, alice.name, alice.password).startswith(b"+OK")

    # Every stuck login fails with a temporary error once its deadline
    # passes; nothing answers them before (the hook is still blocked).
    for p in pending:
        assert p.reply().startswith(SYS_TEMP)
    assert hang.started(stuck.name) >= 1

    # Their threads are still stuck in the hook, yet PAM logins work:
    # the pool replaced them.
    assert pop3_stat(srv, good).startswith(b"+OK 3 ")
    log = hang.log.read_text()
    assert "%s 127.0.0.1 %s" % (good.name, service) in log

    # The server log names the timeout.
    assert "timed out" in srv.log_text()

    # Released, the abandoned hooks return and the server stays sound.
    hang.release()
    assert pop3_login(srv, good.name, good.password).startswith(b"+OK")
