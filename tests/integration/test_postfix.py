"""Postfix SMTP AUTH through Loft's auth service (smtpd_sasl_type = dovecot).

Starts the real `auth` binary and a private Postfix instance from Debian
(its own config_directory, queue_directory and data_directory under the
test's directory, chroot off, smtpd on a free loopback port) whose smtpd
authenticates over Loft's auth-client socket, then logs in with swaks:
AUTH PLAIN and AUTH LOGIN with the right password give 235, with a wrong
one or an unknown user 535.  Needs root (Postfix's master runs as root and
its daemons as the postfix user) and the postfix and swaks packages.
"""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import loftlib

pytestmark = pytest.mark.loft_only

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("LOFT_BUILD_DIR", REPO / "build"))
TIMEOUT = 30
POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
SWAKS = shutil.which("swaks") or "/usr/bin/swaks"
MASTER_CF_DIST = Path("/usr/share/postfix/master.cf.dist")

USERS = {"alice": "alice-Secret1", "bob": "b0b pass word"}


def auth_binary():
    for cand in (BUILD_DIR / "src" / "libexec" / "auth",
                 BUILD_DIR / "src" / "auth" / "auth"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    pytest.fail("auth binary not found under %s" % BUILD_DIR, pytrace=False)


def requirements():
    if os.getuid() != 0:
        pytest.skip("Postfix's master must run as root")
    for path in (POSTFIX, SWAKS, str(MASTER_CF_DIST)):
        if not os.path.exists(path):
            pytest.skip("%s missing (scripts/install-deps.sh installs "
                        "postfix and swaks)" % path)


def master_cf(port):
    """Debian's master.cf with every service unchrooted and smtpd on
    127.0.0.1:port instead of port 25."""
    out = []
    for line in MASTER_CF_DIST.read_text().splitlines():
        fields = line.split()
        if (line.startswith(("#", " ", "\t")) or len(fields) < 8
                or line.strip() == ""):
            out.append(line)
            continue
        if fields[0] == "smtp" and fields[1] == "inet":
            fields[0] = "127.0.0.1:%d" % port
        fields[4] = "n"  # chroot
        out.append("  ".join(fields[:7]) + "  " + " ".join(fields[7:]))
    return "\n".join(out) + "\n"


class LoftAuth:
    def __init__(self, root):
        self.root = root
        self.base = root / "run"
        self.log = root / "auth.log"
        users = root / "users"
        users.write_text("".join("%s:{PLAIN}%s\n" % kv for kv in USERS.items()))
        os.chmod(users, 0o644)
        self.conf = root / "loft.conf"
        self.conf.write_text(
            "base_dir = %s\n"
            "log_path = %s\n"
            "auth_mechanisms = plain login\n"
            "auth_verbose = yes\n"
            "auth_failure_delay = 0\n"
            # Postfix's failures come from 127.0.0.1; keep the test quick.
            "login_trusted_networks = 127.0.0.0/8\n"
            "passdb {\n  driver = passwd-file\n  args = %s\n}\n"
            % (self.base, self.log, users))
        env = dict(os.environ)
        env.pop("LOFT_LISTENERS", None)
        self.stderr = open(root / "auth.stderr", "wb")
        self.proc = subprocess.Popen([str(auth_binary()), "-c", str(self.conf)],
                                     env=env, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        sock = self.base / "auth-client"
        deadline = time.monotonic() + TIMEOUT
        while not sock.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("auth did not start:\n" + self.log_text())
            time.sleep(0.05)  # readiness polling
        # smtpd runs as the postfix user (Dovecot's default mode 0666)
        os.chmod(sock, 0o666)
        self.socket = sock

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode


class PrivatePostfix:
    def __init__(self, root, auth_socket):
        self.root = root
        self.conf_dir = root / "postfix-etc"
        self.conf_dir.mkdir()
        self.port = loftlib.free_port()
        self.log = root / "postfix.log"
        for sub in ("spool", "data"):
            (root / ("postfix-" + sub)).mkdir(mode=0o755)
        shutil.chown(root / "postfix-data", "postfix")
        (self.conf_dir / "main.cf").write_text("\n".join([
            "compatibility_level = 3.6",
            "queue_directory = %s" % (root / "postfix-spool"),
            "data_directory = %s" % (root / "postfix-data"),
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "myhostname = loft-test.localdomain",
            "mydestination =",
            "alias_maps =",
            "alias_database =",
            "local_recipient_maps =",
            "maillog_file = %s" % self.log,
            "maillog_file_prefixes = %s" % root,
            "smtpd_tls_security_level = none",
            "smtpd_sasl_auth_enable = yes",
            "smtpd_sasl_type = dovecot",
            "smtpd_sasl_path = %s" % auth_socket,
            "smtpd_sasl_security_options = noanonymous",
            "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
            "",
        ]))
        (self.conf_dir / "master.cf").write_text(master_cf(self.port))
        r = self.postfix("start")
        if r.returncode != 0:
            pytest.fail("postfix start failed:\n%s%s\n%s" % (
                r.stdout, r.stderr, self.log_text()))
        loftlib.wait_ports("127.0.0.1", [self.port], deadline=TIMEOUT,
                           describe=self.log_text)

    def postfix(self, *args):
        return subprocess.run([POSTFIX, "-c", str(self.conf_dir)] + list(args),
                              capture_output=True, text=True, timeout=TIMEOUT)

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self):
        self.postfix("stop")
        # The master exits after its children; wait for its pid file to go.
        pid_file = self.root / "postfix-spool" / "pid" / "master.pid"
        deadline = time.monotonic() + TIMEOUT
        while pid_file.exists() and time.monotonic() < deadline:
            try:
                pid = int(pid_file.read_text().split()[0])
                os.kill(pid, 0)
            except (ValueError, IndexError, ProcessLookupError, OSError):
                break
            time.sleep(0.1)  # shutdown polling


@pytest.fixture(scope="module")
def smtp():
    requirements()
    work = loftlib.WorkDir(prefix="loft-postfix-")
    auth = LoftAuth(work.path)
    try:
        pf = PrivatePostfix(work.path, auth.socket)
    except BaseException:
        auth.stop()
        work.cleanup()
        raise
    yield pf, auth
    pf.stop()
    rc = auth.stop()
    log = auth.log_text()
    work.cleanup()
    assert rc == 0, "auth exited with %r:\n%s" % (rc, log)
    assert "Panic" not in log


def smtp_replies(out, code):
    """swaks's lines for server replies with this code ("<-  235 ...",
    "<** 535 ..." for a failure)."""
    return [line for line in out.splitlines()
            if re.match(r"<[-~*]+\s+%d " % code, line)]


def swaks(pf, mech, user, password):
    return subprocess.run(
        [SWAKS, "--server", "127.0.0.1", "--port", str(pf.port),
         "--ehlo", "client.example", "--auth", mech, "--auth-user", user,
         "--auth-password", password, "--quit-after", "AUTH",
         "--timeout", str(TIMEOUT)],
        capture_output=True, text=True, timeout=TIMEOUT * 2)


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_smtp_auth_right_password(smtp, mech):
    pf, auth = smtp
    for user, password in USERS.items():
        r = swaks(pf, mech, user, password)
        assert smtp_replies(r.stdout, 235), "%s\n%s\n%s" % (
            r.stdout, pf.log_text(), auth.log_text())
        assert r.returncode == 0


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_smtp_auth_wrong_password(smtp, mech):
    pf, auth = smtp
    for user, password in (("alice", "wrong"), ("nobody", "alice-Secret1"),
                           ("bob", "b0b pass wor")):
        r = swaks(pf, mech, user, password)
        assert smtp_replies(r.stdout, 535), "%s\n%s\n%s" % (
            r.stdout, pf.log_text(), auth.log_text())
        assert not smtp_replies(r.stdout, 235)
        assert r.returncode != 0


def test_smtp_ehlo_lists_loft_mechanisms(smtp):
    pf, _ = smtp
    r = subprocess.run(
        [SWAKS, "--server", "127.0.0.1", "--port", str(pf.port),
         "--ehlo", "client.example", "--quit-after", "EHLO"],
        capture_output=True, text=True, timeout=TIMEOUT * 2)
    auth_lines = [line for line in r.stdout.splitlines() if "AUTH " in line]
    assert auth_lines, r.stdout
    assert "PLAIN" in auth_lines[0] and "LOGIN" in auth_lines[0]
