"""The passdb/userdb chain, black-box through the auth sockets.

Each test starts the real `auth` binary with its own chain (passwd-file
passdbs and userdbs in a temporary directory) and speaks the Dovecot
auth-client protocol as a login process does, or asks `loftadm auth
explain` why a login was allowed or refused.  Covers skip, mechanisms,
username_filter, deny, master users, each result_* value, the
internal-failure-plus-continue rule, nologin, allow_nets and the user name
rules.  Nothing here asserts on timing.
"""

import base64
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.loft_only

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("LOFT_BUILD_DIR", REPO / "build"))
TIMEOUT = 20


def binary(*cands):
    for c in cands:
        p = BUILD_DIR / c
        if p.is_file() and os.access(p, os.X_OK):
            return p
    pytest.fail("%s not built under %s" % (cands[0], BUILD_DIR),
                pytrace=False)


class Auth:
    """auth started with `body` (passdb/userdb sections, settings) after a
    common header; files maps names to contents written beside it."""

    def __init__(self, tmp, body, files, header=""):
        self.dir = tmp
        self.base = tmp / "run"
        self.log = tmp / "auth.log"
        for name, text in files.items():
            (tmp / name).write_text(text)
        self.conf = tmp / "loft.conf"
        self.conf.write_text(
            header +
            "base_dir = %s\nlog_path = %s\nauth_mechanisms = plain login\n"
            "auth_verbose = yes\nauth_failure_delay = 0\n"
            % (self.base, self.log) + body.replace("@DIR@", str(tmp)))
        env = dict(os.environ)
        env.pop("LOFT_LISTENERS", None)
        self.proc = subprocess.Popen(
            [str(binary("src/auth", "src/auth/auth")), "-c",
             str(self.conf)], env=env, stdout=subprocess.DEVNULL,
            stderr=open(tmp / "stderr.log", "wb"))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if all((self.base / n).exists()
                   for n in ("auth-client", "auth-master")):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        pytest.fail("auth did not start: %s %s" % (
            (tmp / "stderr.log").read_text(errors="replace"),
            self.log_text()))

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() \
            else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def _lines(self, path, send, until):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(str(path))
        s.sendall(send.encode())
        buf = b""
        try:
            while True:
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.decode()
                    if until(line):
                        return line
                data = s.recv(65536)
                if not data:
                    raise EOFError("auth closed the connection")
                buf += data
        finally:
            s.close()

    def plain(self, user, password, service="pop3", rip="127.0.0.1",
              mech="PLAIN"):
        """AUTH PLAIN; returns the OK/FAIL line."""
        resp = base64.b64encode(
            b"\0" + user.encode() + b"\0" + password.encode()).decode()
        params = "service=%s" % service
        if rip is not None:
            params += "\trip=%s" % rip
        return self._lines(
            self.base / "auth-client",
            "VERSION\t1\t2\nCPID\t%d\nAUTH\t1\t%s\t%s\tresp=%s\n"
            % (os.getpid(), mech, params, resp),
            lambda l: l.startswith(("OK\t1", "FAIL\t1")))

    def passdb_lookup(self, user, service="pop3"):
        return self._lines(
            self.base / "auth-master",
            "VERSION\t1\t0\nPASS\t7\t%s\tservice=%s\n" % (user, service),
            lambda l: l.split("\t")[:2] in (["PASS", "7"], ["NOTFOUND", "7"],
                                            ["FAIL", "7"]))

    def explain(self, *args):
        """loftadm auth explain; returns (exit status, stdout)."""
        p = subprocess.run(
            [str(binary("src/loftadm", "src/admin/loftadm")), "-c",
             str(self.conf), "auth", "explain"] + list(args),
            capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stdout + p.stderr


@pytest.fixture
def start(tmp_path):
    servers = []

    def _start(body, files, header=""):
        srv = Auth(tmp_path, body, files, header)
        servers.append(srv)
        return srv
    yield _start
    for srv in servers:
        rc = srv.stop()
        assert rc == 0, "auth exited with %r; log:\n%s" % (
            rc, srv.log_text())
        assert "Panic" not in srv.log_text()


def ok(line, user):
    return line.startswith("OK\t1\tuser=%s" % user)


def fail(line):
    return line.startswith("FAIL\t1") and "\ttemp" not in line


def tempfail(line):
    return line.startswith("FAIL\t1") and line.endswith("\ttemp")


USERS = ("alice:{PLAIN}alicepw:1000:1000::/home/alice\n"
         "bob:{PLAIN}bobpw:1001:1001::/home/bob\n")


def passdb(path, extra=""):
    return ("passdb {\n  driver = passwd-file\n  args = @DIR@/%s\n%s}\n"
            % (path, extra))


USERDB = "userdb {\n  driver = passwd-file\n  args = @DIR@/users\n}\n"


# --- deny passdb before the others, per service (deny.%s) ---

def test_deny_passdb_per_service(start):
    srv = start(passdb("deny.%s", "  deny = yes\n") + passdb("users") +
                USERDB,
                {"users": USERS, "deny.pop3": "bob\n", "deny.imap": ""})
    assert fail(srv.plain("bob", "bobpw", service="pop3"))
    assert ok(srv.plain("bob", "bobpw", service="imap"), "bob")
    assert ok(srv.plain("alice", "alicepw", service="pop3"), "alice")
    assert "User found from deny passdb" in srv.log_text()
    rc, out = srv.explain("bob", "bobpw", "-x", "service=pop3")
    assert rc == 77, out
    assert "passdb #1 passwd-file: user found in deny passdb" in out
    assert "decision: refused" in out
    assert "bobpw" not in out
    rc, out = srv.explain("bob", "bobpw", "-x", "service=imap")
    assert rc == 0, out
    assert "user not in deny passdb: continue" in out
    assert "decision: allowed" in out


# --- master users ---

MASTERS = "admin:{PLAIN}masterpw\n"


@pytest.mark.parametrize("how", ["pass=yes", "2.4-continue"])
def test_master_user_continues_to_user_passdb(start, how):
    if how == "pass=yes":
        body = ("auth_master_user_separator = *\n" +
                passdb("masters", "  master = yes\n  pass = yes\n") +
                passdb("users") + USERDB)
        header = ""
    else:
        header = "dovecot_config_version = 2.4.0\n"
        body = ("auth_master_user_separator = *\n"
                "passdb masters {\n  driver = passwd-file\n"
                "  passwd_file_path = @DIR@/masters\n  master = yes\n"
                "  result_success = continue\n}\n"
                "passdb users {\n  driver = passwd-file\n"
                "  passwd_file_path = @DIR@/users\n}\n"
                "userdb users {\n  driver = passwd-file\n"
                "  passwd_file_path = @DIR@/users\n}\n")
    srv = start(body, {"users": USERS, "masters": MASTERS}, header)
    assert ok(srv.plain("alice*admin", "masterpw"), "alice")
    # the login user must exist in the normal passdb
    assert fail(srv.plain("ghost*admin", "masterpw"))
    assert fail(srv.plain("alice*admin", "alicepw"))
    # a master is not a normal user
    assert fail(srv.plain("admin", "masterpw"))
    assert ok(srv.plain("alice", "alicepw"), "alice")
    rc, out = srv.explain("alice*admin", "masterpw")
    assert rc == 0, out
    assert "master user login: master admin, login user alice" in out
    assert "master accepted, continue to the normal passdbs" in out
    assert "by master user admin" in out


def test_master_user_return_ok_skips_user_lookup(start):
    srv = start("auth_master_user_separator = *\n" +
                passdb("masters", "  master = yes\n") + passdb("users"),
                {"users": USERS, "masters": MASTERS})
    # without pass = yes the master's word is enough (Dovecot's rule)
    assert ok(srv.plain("ghost*admin", "masterpw"), "ghost")


def test_master_login_without_master_passdb_fails(start):
    srv = start("auth_master_user_separator = *\n" + passdb("users"),
                {"users": USERS})
    assert fail(srv.plain("alice*bob", "bobpw"))


# --- username_filter per domain; local plus virtual users ---

def test_username_filter_per_domain(start):
    srv = start(passdb("ex1", "  username_filter = *@example.com\n") +
                passdb("ex2", "  username_filter = *@example2.com "
                       "!blocked@example2.com\n"),
                {"ex1": "carol@example.com:{PLAIN}c1\n"
                        "dave@example2.com:{PLAIN}d1\n",
                 "ex2": "dave@example2.com:{PLAIN}d2\n"
                        "blocked@example2.com:{PLAIN}b2\n"})
    assert ok(srv.plain("carol@example.com", "c1"), "carol@example.com")
    # ex1 holds a dave@example2.com entry, but its filter skips it
    assert fail(srv.plain("dave@example2.com", "d1"))
    assert ok(srv.plain("dave@example2.com", "d2"), "dave@example2.com")
    assert fail(srv.plain("blocked@example2.com", "b2"))
    rc, out = srv.explain("blocked@example2.com", "b2")
    assert rc == 77
    assert ("passdb #1 passwd-file: skipped: username_filter: "
            "blocked@example2.com matches none of '*@example.com'") in out
    assert "excluded by '!blocked@example2.com'" in out


def test_local_and_virtual_users_in_one_chain(start):
    srv = start(passdb("local", "  username_filter = !*@*\n") +
                passdb("virtual", "  username_filter = *@*\n") +
                "userdb {\n  driver = passwd-file\n  args = @DIR@/local\n}\n"
                "userdb {\n  driver = passwd-file\n"
                "  args = @DIR@/virtual\n}\n",
                {"local": "erin:{PLAIN}localpw:1100:1100::/home/erin\n",
                 "virtual": "erin@example.com:{PLAIN}virtpw:2000:2000::"
                            "/var/vmail/erin\n"})
    assert ok(srv.plain("erin", "localpw"), "erin")
    assert fail(srv.plain("erin", "virtpw"))
    assert ok(srv.plain("erin@example.com", "virtpw"), "erin@example.com")
    rc, out = srv.explain("erin@example.com", "virtpw")
    assert rc == 0, out
    assert "userdb #2 passwd-file: user found" in out
    assert "home=/var/vmail/erin" in out


# --- result values and the internal failure rule ---

TWO = {"one": "alice:{PLAIN}first\n", "two": "alice:{PLAIN}second\n"}


@pytest.mark.parametrize("rules,password,expect", [
    ("", "second", "ok"),
    ("  result_failure = return-fail\n", "second", "fail"),
    ("  result_failure = return\n", "second", "fail"),
    ("  result_failure = continue-fail\n", "second", "ok"),
    ("  result_failure = continue\n", "second", "ok"),
    ("", "first", "ok"),
    ("  result_success = return-fail\n", "first", "fail"),
    # continue*: passdb two only looks the user up
    ("  result_success = continue\n", "first", "ok"),
    ("  result_success = continue-ok\n", "first", "ok"),
    # continue-fail: later passdbs still verify the password
    ("  result_success = continue-fail\n", "first", "fail"),
    ("  result_success = continue\n", "second", "ok"),
])
def test_result_values(start, rules, password, expect):
    srv = start(passdb("one", rules) + passdb("two"), TWO)
    line = srv.plain("alice", password)
    assert ok(line, "alice") if expect == "ok" else fail(line), line


def test_continue_ok_survives_unknown_in_next(start):
    srv = start(passdb("one", "  result_success = continue-ok\n") +
                passdb("empty"), {"one": "alice:{PLAIN}first\n",
                                  "empty": ""})
    assert ok(srv.plain("alice", "first"), "alice")
    assert fail(srv.plain("alice", "wrong"))


def test_continue_fail_needs_a_later_success(start):
    srv = start(passdb("one", "  result_success = continue-fail\n") +
                passdb("empty"), {"one": "alice:{PLAIN}first\n",
                                  "empty": ""})
    assert fail(srv.plain("alice", "first"))


def test_internal_failure_plus_final_continue(start):
    srv = start(passdb("missing") + passdb("users"), {"users": USERS})
    # a later success wins
    assert ok(srv.plain("alice", "alicepw"), "alice")
    # ending on a continue after an internal failure: temporary failure
    assert tempfail(srv.plain("nobody", "x"))
    assert tempfail(srv.plain("alice", "wrong"))
    rc, out = srv.explain("nobody", "x")
    assert rc == 75, out
    assert "passdb #1 passwd-file: internal failure" in out
    assert "result_internalfail=continue: continue" in out
    assert "decision: temporary failure" in out


def test_internal_failure_then_return_fail(start):
    srv = start(passdb("missing", "  result_internalfail = return-fail\n") +
                passdb("users"), {"users": USERS})
    assert fail(srv.plain("alice", "alicepw"))


# --- skip and mechanisms ---

def test_skip_authenticated_and_unauthenticated(start):
    srv = start(passdb("one", "  result_success = continue-ok\n") +
                passdb("extra", "  skip = unauthenticated\n"
                       "  result_success = continue\n") +
                passdb("two", "  skip = authenticated\n"),
                {"one": "alice:{PLAIN}first\n",
                 "extra": "alice::::::quota=x\n",
                 "two": "alice:{PLAIN}second\nbob:{PLAIN}bobpw\n"})
    assert ok(srv.plain("alice", "first"), "alice")
    assert ok(srv.plain("bob", "bobpw"), "bob")
    rc, out = srv.explain("bob", "bobpw")
    assert "passdb #2 passwd-file: skipped: skip = unauthenticated" in out
    rc, out = srv.explain("alice", "first")
    assert "passdb #3 passwd-file: skipped: skip = authenticated" in out


def test_mechanisms_none_for_lookups(start):
    srv = start(passdb("lookups", "  mechanisms = none\n") +
                passdb("logins", "  mechanisms = plain login\n"),
                {"lookups": "alice:{PLAIN}lk::::::quota=lookup\n",
                 "logins": "alice:{PLAIN}li\n"})
    assert fail(srv.plain("alice", "lk"))
    assert ok(srv.plain("alice", "li"), "alice")
    line = srv.passdb_lookup("alice")
    assert line.startswith("PASS\t7\talice") and "quota=lookup" in line
    rc, out = srv.explain("alice", "lk", "-x", "mech=PLAIN")
    assert "skipped: mechanism PLAIN is not in 'none'" in out


# --- passdb fields ---

def test_nologin_with_reason(start):
    srv = start(passdb("users"),
                {"users": "frank:{PLAIN}fpw::::::nologin=y "
                          "reason=Moved-to-mail2\n"})
    line = srv.plain("frank", "fpw")
    assert fail(line) and "\treason=Moved-to-mail2" in line, line
    # a wrong password does not reveal the reason
    assert "reason" not in srv.plain("frank", "wrong")
    rc, out = srv.explain("frank", "fpw")
    assert "nologin field: login refused" in out


def test_allow_nets(start):
    srv = start(passdb("users"),
                {"users": "gina:{PLAIN}gpw::::::allow_nets=192.0.2.0/24,"
                          "2001:db8::/32,local\n"})
    assert ok(srv.plain("gina", "gpw", rip="192.0.2.7"), "gina")
    assert ok(srv.plain("gina", "gpw", rip="2001:db8::5"), "gina")
    assert ok(srv.plain("gina", "gpw", rip=None), "gina")
    assert fail(srv.plain("gina", "gpw", rip="198.51.100.1"))
    assert "allow_nets check failed" in srv.log_text()
    rc, out = srv.explain("gina", "gpw", "-x", "rip=198.51.100.1")
    assert rc == 77
    assert "is not in allow_nets" in out


def test_user_field_renames(start):
    srv = start(passdb("users") + USERDB,
                {"users": "Hank:{PLAIN}hpw::::::user=hank@example.com\n"
                          "alice:{PLAIN}alicepw:1000:1000::/home/alice\n"},
                "auth_username_format =\n")
    assert ok(srv.plain("Hank", "hpw"), "hank@example.com")


def test_default_realm_and_translation(start):
    srv = start("auth_default_realm = example.com\n"
                "auth_username_translation = #@\n"
                "auth_username_chars = abcdefghijklmnopqrstuvwxyz.@#\n" +
                passdb("users"),
                {"users": "ivy@example.com:{PLAIN}ipw\n"
                          "ivy@other.org:{PLAIN}opw\n"})
    assert ok(srv.plain("ivy", "ipw"), "ivy@example.com")
    assert ok(srv.plain("ivy#other.org", "opw"), "ivy@other.org")
    assert fail(srv.plain("ivy*", "ipw"))


def test_explain_never_prints_password(start):
    srv = start(passdb("users") + USERDB, {"users": USERS})
    rc, out = srv.explain("alice", "alicepw", "-x", "service=imap",
                          "-x", "rip=192.0.2.1")
    assert rc == 0, out
    assert "alicepw" not in out
    assert "passdb #1 passwd-file: user found, password ok" in out
    assert "result_success=return-ok: stop, authenticated" in out
    assert "userdb result: found, user alice" in out
    assert "uid=1000" in out
    rc, out = srv.explain("alice")
    assert rc == 0, out
    assert "(lookup)" in out
    rc, out = srv.explain("alice", "wrong")
    assert rc == 77 and "password mismatch" in out


# --- SASL authorization identity: master users with PLAIN ---

def plain_authzid(srv, authzid, authcid, password):
    """AUTH PLAIN with an authorization identity; returns OK/FAIL line."""
    resp = base64.b64encode(b"\0".join(
        (authzid.encode(), authcid.encode(), password.encode()))).decode()
    return srv._lines(
        srv.base / "auth-client",
        "VERSION\t1\t2\nCPID\t%d\nAUTH\t1\tPLAIN\tservice=pop3\t"
        "rip=127.0.0.1\tresp=%s\n" % (os.getpid(), resp),
        lambda l: l.startswith(("OK\t1", "FAIL\t1")))


def test_plain_authzid_master_user(start):
    srv = start(passdb("masters", "  master = yes\n  pass = yes\n") +
                passdb("users") + USERDB,
                {"users": USERS, "masters": MASTERS})
    # Dovecot's "Master users": authzid = the user, authcid = the master
    line = plain_authzid(srv, "alice", "admin", "masterpw")
    assert ok(line, "alice"), line
    assert fail(plain_authzid(srv, "alice", "admin", "wrong"))
    # pass = yes: the login user must exist
    assert fail(plain_authzid(srv, "ghost", "admin", "masterpw"))
    # a normal user cannot authorize as another one
    assert fail(plain_authzid(srv, "alice", "bob", "bobpw"))
    # authzid equal to the authcid is an ordinary login
    assert ok(plain_authzid(srv, "bob", "bob", "bobpw"), "bob")
    # an invalid authorization identity is refused like a wrong password
    assert fail(plain_authzid(srv, "al\x01ice", "admin", "masterpw"))


def test_plain_authzid_without_master_passdb_fails(start):
    srv = start(passdb("users") + USERDB, {"users": USERS})
    assert fail(plain_authzid(srv, "alice", "bob", "bobpw"))
    assert ok(plain_authzid(srv, "", "bob", "bobpw"), "bob")


# --- credentials lookups (APOP, CRAM-MD5) follow the chain rules ---

APOP_CHALLENGE = "<1896.697170952@loft.test>"


def apop(srv, user, password, rip="127.0.0.1", service="pop3"):
    import hashlib
    digest = hashlib.md5((APOP_CHALLENGE + password).encode()).hexdigest()
    resp = base64.b64encode(APOP_CHALLENGE.encode() + b"\0" +
                            user.encode() + b"\0" +
                            digest.encode()).decode()
    params = "service=%s" % service
    if rip is not None:
        params += "\trip=%s" % rip
    return srv._lines(
        srv.base / "auth-client",
        "VERSION\t1\t2\nCPID\t%d\nAUTH\t1\tAPOP\t%s\tresp=%s\n"
        % (os.getpid(), params, resp),
        lambda l: l.startswith(("OK\t1", "FAIL\t1")))


def cram(srv, user, password):
    import hashlib
    import hmac
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(str(srv.base / "auth-client"))
    f = s.makefile("rwb")
    try:
        f.write(("VERSION\t1\t2\nCPID\t%d\nAUTH\t1\tCRAM-MD5\tservice=pop3"
                 "\trip=127.0.0.1\n" % os.getpid()).encode())
        f.flush()
        while True:
            line = f.readline().decode().rstrip("\n")
            if not line:
                raise EOFError("auth closed the connection")
            if line.startswith("CONT\t1\t"):
                break
            if line.startswith(("OK\t1", "FAIL\t1")):
                return line
        chal = base64.b64decode(line.split("\t")[2])
        digest = hmac.new(password.encode(), chal, hashlib.md5).hexdigest()
        f.write(("CONT\t1\t%s\n" % base64.b64encode(
            ("%s %s" % (user, digest)).encode()).decode()).encode())
        f.flush()
        while True:
            line = f.readline().decode().rstrip("\n")
            if not line:
                raise EOFError("auth closed the connection")
            if line.startswith(("OK\t1", "FAIL\t1")):
                return line
    finally:
        f.close()
        s.close()


CRED_MECHS = "auth_mechanisms = plain login apop cram-md5\n"


def test_credentials_lookup_deny_passdb(start):
    srv = start(CRED_MECHS + passdb("deny", "  deny = yes\n") +
                passdb("users") + USERDB,
                {"users": USERS, "deny": "bob\n"})
    assert ok(apop(srv, "alice", "alicepw"), "alice")
    assert ok(cram(srv, "alice", "alicepw"), "alice")
    assert fail(apop(srv, "bob", "bobpw"))
    assert fail(cram(srv, "bob", "bobpw"))
    assert "User found from deny passdb" in srv.log_text()


def test_credentials_lookup_nologin_allow_nets(start):
    srv = start(CRED_MECHS + passdb("users") + USERDB,
                {"users": USERS +
                 "frank:{PLAIN}fpw::::::nologin=y reason=Moved\n"
                 "gina:{PLAIN}gpw::::::allow_nets=192.0.2.0/24\n"})
    line = apop(srv, "frank", "fpw")
    assert fail(line) and "\treason=Moved" in line, line
    # the reason only after the right password
    assert "reason" not in apop(srv, "frank", "wrong")
    line = cram(srv, "frank", "fpw")
    assert fail(line) and "\treason=Moved" in line, line
    assert ok(apop(srv, "gina", "gpw", rip="192.0.2.9"), "gina")
    assert fail(apop(srv, "gina", "gpw", rip="198.51.100.1"))


def test_credentials_lookup_skip_filter_and_results(start):
    srv = start(CRED_MECHS +
                passdb("other", "  username_filter = *@example.com\n") +
                passdb("users", "  skip = authenticated\n") +
                passdb("users2", "  result_success = return-fail\n") +
                USERDB,
                {"users": USERS,
                 # the filter keeps this entry away from alice
                 "other": "alice:{PLAIN}otherpw\n",
                 "users2": "carl:{PLAIN}carlpw\n"})
    assert ok(apop(srv, "alice", "alicepw"), "alice")
    assert fail(apop(srv, "alice", "otherpw"))
    # carl is found by a passdb whose result_success is return-fail
    assert fail(apop(srv, "carl", "carlpw"))
    assert fail(cram(srv, "carl", "carlpw"))


def test_credentials_lookup_master_user(start):
    srv = start(CRED_MECHS + "auth_master_user_separator = *\n" +
                passdb("masters", "  master = yes\n  pass = yes\n") +
                passdb("users") + USERDB,
                {"users": USERS, "masters": MASTERS})
    assert ok(cram(srv, "alice*admin", "masterpw"), "alice")
    assert fail(cram(srv, "alice*admin", "alicepw"))
    assert fail(cram(srv, "ghost*admin", "masterpw"))
    assert ok(apop(srv, "bob*admin", "masterpw"), "bob")
    # a master is not a normal user
    assert fail(apop(srv, "admin", "masterpw"))


# --- per-passdb auth_verbose overrides the global one ---

def mismatch_lines(srv):
    return [l for l in srv.log_text().splitlines()
            if "passwd-file(alice" in l and "Password mismatch" in l]


def test_passdb_auth_verbose_yes_over_global_no(start):
    # the header sets auth_verbose = yes; the last value wins
    srv = start("auth_verbose = no\n" +
                passdb("users", "  auth_verbose = yes\n") +
                passdb("users2") + USERDB,
                {"users": USERS, "users2": "alice:{PLAIN}otherpw\n"})
    assert fail(srv.plain("alice", "wrongpw"))
    # the first passdb logs its mismatch, the second follows the global no
    assert len(mismatch_lines(srv)) == 1, srv.log_text()


def test_passdb_auth_verbose_no_over_global_yes(start):
    srv = start(passdb("users", "  auth_verbose = no\n") +
                passdb("users2") + USERDB,
                {"users": USERS, "users2": "alice:{PLAIN}otherpw\n"})
    assert fail(srv.plain("alice", "wrongpw"))
    # only the second passdb (global yes) logs a mismatch
    assert len(mismatch_lines(srv)) == 1, srv.log_text()


def test_passdb_auth_verbose_no_alone(start):
    srv = start(passdb("users", "  auth_verbose = no\n") + USERDB,
                {"users": USERS})
    assert fail(srv.plain("alice", "wrongpw"))
    assert mismatch_lines(srv) == [], srv.log_text()
    assert ok(srv.plain("alice", "alicepw"), "alice")
