"""Helpers for Loft's black-box integration tests.

Builds the world a test needs in a private temporary directory (certificate,
passwd-file, Maildirs with a fixed message set, config in Dovecot 2.3 or 2.4
syntax), starts the real server binary on free loopback ports, waits until
its listeners accept connections, and stops it again.  Two servers share one
interface: LoftServer (the system under test) and DovecotServer (Debian's
Dovecot, the reference peer).  Nothing here knows about Loft's internals; it
only uses the documented command line, config syntax and file formats.
"""

import base64
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("LOFT_BUILD_DIR", REPO / "build"))
LOFT_BIN = BUILD_DIR / "src" / "loft"
DOVECOT_BIN = Path(os.environ.get("DOVECOT_BIN", "/usr/sbin/dovecot"))

# How long a server may take to open its listeners, and the safety net for
# blocking socket reads.  Neither is used to wait for an event to happen.
START_DEADLINE = float(os.environ.get("LOFT_TEST_START_DEADLINE", "20"))
STOP_DEADLINE = float(os.environ.get("LOFT_TEST_STOP_DEADLINE", "15"))
IO_TIMEOUT = float(os.environ.get("LOFT_TEST_IO_TIMEOUT", "30"))

AUTH_FAILED = b"-ERR [AUTH] Authentication failed."

# Log lines that mean a process crashed or a sanitizer fired.
CRASH_RE = re.compile(
    rb"Panic:|killed with signal|dumped core|AddressSanitizer|"
    rb"LeakSanitizer|runtime error:|Segmentation fault")


# ---------------------------------------------------------------- ports ---

def free_port(host="127.0.0.1"):
    """A port that was free a moment ago (bind to 0, read it, release)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_ports(host, ports, proc=None, deadline=START_DEADLINE, describe=None):
    """Polls connect() until every port accepts or the deadline passes.
    Raises RuntimeError (with the server's log via describe()) when the
    process exits first or the deadline passes."""
    end = time.monotonic() + deadline
    pending = list(ports)
    while pending:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                "server exited with status %s before listening on %s\n%s"
                % (proc.returncode, pending, describe() if describe else ""))
        if port_open(host, pending[0]):
            pending.pop(0)
            continue
        if time.monotonic() > end:
            raise RuntimeError("ports %s not accepting after %.0f s\n%s"
                               % (pending, deadline,
                                  describe() if describe else ""))
        time.sleep(0.05)  # polling interval of a readiness check


# ----------------------------------------------------------- certificate ---

def make_cert(directory):
    """Self-signed certificate for localhost / 127.0.0.1 (cert.pem, key.pem)."""
    directory = Path(directory)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-days", "3", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=str(cafile))
    ctx.check_hostname = True
    return ctx


# -------------------------------------------------------------- messages ---

def _msg(n, subject, body, extra_headers=""):
    hdr = ("Return-Path: <sender%d@example.org>\n"
           "From: Sender %d <sender%d@example.org>\n"
           "To: Test User <user@example.com>\n"
           "Subject: %s\n"
           "Date: Mon, %d Jan 2024 10:%02d:00 +0000\n"
           "Message-ID: <loft-test-%d@example.org>\n"
           "%s"
           "MIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=utf-8\n"
           "\n" % (n, n, n, subject, 1 + n % 28, n % 60, n, extra_headers))
    return (hdr + body).encode("utf-8")


def standard_messages(large_size=3 * 1024 * 1024):
    """The fixed message set: LF line endings, as Maildir stores them.
    1 small, 2 lines starting with '.', 3 about 20 KB, 4 a large one of a
    few MB, 5 8-bit UTF-8 and a folded header, 6 headers only."""
    msgs = []
    msgs.append(_msg(1, "small", "Hello, this is a small message.\n"))
    msgs.append(_msg(2, "dots", (
        "A message with lines that start with dots.\n"
        ".\n"
        "..\n"
        ".hidden\n"
        "...three\n"
        ". space\n"
        "last line\n")))
    lines = ["line %05d %s\n" % (i, "abcdefghij" * 5) for i in range(330)]
    msgs.append(_msg(3, "medium", "".join(lines)))
    big = []
    i = 0
    total = 0
    while total < large_size:
        line = "%08d %s\n" % (i, ("0123456789ABCDEF" * 4)[: 20 + i % 44])
        if i % 997 == 0:
            line = "." + line  # some dot-stuffing inside the large message
        big.append(line)
        total += len(line)
        i += 1
    msgs.append(_msg(4, "large", "".join(big)))
    msgs.append(_msg(5, "=?utf-8?q?gr=C3=BC=C3=9Fe?=",
                     "Grüße aus Köln — ünïcödé body.\n\tTabbed line.\n",
                     extra_headers="X-Folded: first part\n second part\n\tthird\n"))
    msgs.append(_msg(6, "headers only", ""))
    return msgs


def crlf(data):
    """How a message looks on the wire: CRLF line endings."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def wire_size(data):
    return len(crlf(data))


def split_message(data):
    """(header lines, body lines) of an LF message, without line endings."""
    head, sep, body = data.partition(b"\n\n")
    hl = head.split(b"\n")
    bl = body.split(b"\n") if body else []
    if bl and bl[-1] == b"":
        bl.pop()
    return hl, bl


def expected_top(data, n):
    """The lines TOP msg n returns (dot-unstuffed): headers, blank, n lines."""
    hl, bl = split_message(data)
    return hl + [b""] + bl[:n]


def expected_lines(data):
    """The lines RETR returns after the client removed dot-stuffing."""
    if data.endswith(b"\n"):
        data = data[:-1]
    return data.split(b"\n")


# ------------------------------------------------------------ mail owner ---

def mail_owner():
    """(uid, gid, name) that owns test mail.  The invoking user, or
    'nobody' when running as root, since both Loft and Dovecot refuse mail
    access as uid 0 (first_valid_uid)."""
    uid = os.getuid()
    if uid != 0:
        return uid, os.getgid(), pwd.getpwuid(uid).pw_name
    try:
        pw = pwd.getpwnam("nobody")
        return pw.pw_uid, pw.pw_gid, "nobody"
    except KeyError:
        return 65534, 65534, "nobody"


def chown_tree(path, uid, gid):
    if os.getuid() != 0:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid)
        for name in files:
            os.chown(os.path.join(root, name), uid, gid)


class User:
    def __init__(self, name, password, home, messages):
        self.name = name
        self.password = password
        self.home = Path(home)
        self.maildir = self.home / "Maildir"
        self.messages = list(messages)

    def message_files(self):
        files = []
        for sub in ("new", "cur"):
            d = self.maildir / sub
            if d.is_dir():
                files.extend(p for p in d.iterdir() if p.is_file())
        return files


def write_maildir(maildir, messages, uid, gid, start=1700000000):
    """Writes messages as Maildir files in ascending delivery order: odd ones
    in new/, even ones in cur/ (seen), with S= sizes as Dovecot names them.
    Returns the file paths in message order."""
    maildir = Path(maildir)
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(messages, 1):
        ts = start + i * 10
        base = "%d.M%dP%d.loft-test,S=%d,W=%d" % (ts, 100000 + i, 4000 + i,
                                                   len(data), wire_size(data))
        if i % 2:
            p = maildir / "new" / base
        else:
            p = maildir / "cur" / (base + ":2,S")
        p.write_bytes(data)
        os.utime(p, (ts, ts))
        paths.append(p)
    chown_tree(maildir.parent, uid, gid)
    return paths


# -------------------------------------------------------- test directory ---

class WorkDir:
    """A private directory tree, traversable by the mail owner when the
    tests run as root (pytest's own temp dirs are mode 0700)."""

    def __init__(self, prefix="loft-it-"):
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        os.chmod(self.path, 0o755)

    def sub(self, name, mode=0o755):
        p = self.path / name
        p.mkdir(parents=True, exist_ok=True)
        os.chmod(p, mode)
        return p

    def cleanup(self):
        if os.environ.get("LOFT_TEST_KEEP"):
            return
        shutil.rmtree(self.path, ignore_errors=True)


DEFAULT_USERS = {
    # name: password.  Passwords include characters a naive parser trips on.
    "alice": "alice-Secret1",
    "bob": "b0b pass word",
    "carol": "c@rol!3",
    "dave": "dave-pw",
    "erin": "erin-pw",
    "frank": "frank-pw",
}


def populate_users(root, users=None, messages=None, uid=None, gid=None):
    """Creates homes and Maildirs under root/home and the passwd-file
    root/users.  Returns {name: User}."""
    root = Path(root)
    users = users or DEFAULT_USERS
    if messages is None:
        messages = standard_messages()
    if uid is None:
        uid, gid, _ = mail_owner()
    homes = root / "home"
    homes.mkdir(exist_ok=True)
    os.chmod(homes, 0o755)
    result = {}
    lines = []
    for name, pw in users.items():
        home = homes / name
        home.mkdir()
        write_maildir(home / "Maildir", messages, uid, gid)
        result[name] = User(name, pw, home, messages)
        lines.append("%s:{PLAIN}%s:%d:%d::%s::\n" % (name, pw, uid, gid, home))
    pf = root / "users"
    pf.write_text("".join(lines))
    os.chmod(pf, 0o644)
    return result


# ---------------------------------------------------------------- config ---

class Config:
    """The settings a test server needs, rendered in 2.3 or 2.4 syntax."""

    def __init__(self, root, cert, key, ports, listen="127.0.0.1",
                 mechanisms="plain login apop", plaintext=False,
                 extra=None, pop3_lock_session=None):
        self.root = Path(root)
        self.cert, self.key = cert, key
        self.ports = ports          # {"pop3": n, "pop3s": n}
        self.listen = listen
        self.mechanisms = mechanisms
        self.plaintext = plaintext  # allow plaintext auth without TLS
        self.extra = list(extra or [])  # raw lines appended (global scope)
        self.pop3_lock_session = pop3_lock_session

    @property
    def users_file(self):
        return self.root / "users"

    @property
    def protocols(self):
        """pop3, imap or both, from the listener ports asked for."""
        out = []
        if "pop3" in self.ports or "pop3s" in self.ports:
            out.append("pop3")
        if "imap" in self.ports or "imaps" in self.ports:
            out.append("imap")
        return " ".join(out) or "pop3"

    def _service(self, proto):
        out = ["service %s-login {" % proto]
        for name, ssl in ((proto, False), (proto + "s", True)):
            out.append("  inet_listener %s {" % name)
            out.append("    port = %d" % self.ports.get(name, 0))
            if ssl:
                out.append("    ssl = yes")
            out.append("  }")
        out.append("}")
        return out

    def _listeners(self):
        out = []
        for proto in self.protocols.split():
            out += self._service(proto)
        return out

    def render_23(self, log_path=None, base_dir=None):
        lines = [
            "# Loft integration test config (Dovecot 2.3 syntax)",
            "protocols = %s" % self.protocols,
            "listen = %s" % self.listen,
            "base_dir = %s" % (base_dir or self.root / "run"),
            "ssl = yes",
            "ssl_cert = <%s" % self.cert,
            "ssl_key = <%s" % self.key,
            "disable_plaintext_auth = %s" % ("no" if self.plaintext else "yes"),
            "auth_mechanisms = %s" % self.mechanisms,
            "log_path = %s" % (log_path or self.root / "loft.log"),
            "passdb {",
            "  driver = passwd-file",
            "  args = scheme=PLAIN %s" % self.users_file,
            "}",
            "userdb {",
            "  driver = passwd-file",
            "  args = %s" % self.users_file,
            "}",
            "mail_location = maildir:~/Maildir",
        ]
        if self.pop3_lock_session is not None:
            lines.append("pop3_lock_session = %s"
                         % ("yes" if self.pop3_lock_session else "no"))
        lines += self._listeners()
        lines += self.extra
        return "\n".join(lines) + "\n"

    def render_24(self, log_path=None, base_dir=None):
        lines = [
            "dovecot_config_version = 2.4.0",
            "dovecot_storage_version = 2.4.0",
            "# Loft integration test config (Dovecot 2.4 syntax)",
            "protocols = %s" % self.protocols,
            "listen = %s" % self.listen,
            "base_dir = %s" % (base_dir or self.root / "run"),
            "ssl = yes",
            "ssl_server_cert_file = %s" % self.cert,
            "ssl_server_key_file = %s" % self.key,
            "auth_allow_cleartext = %s" % ("yes" if self.plaintext else "no"),
            "auth_mechanisms = %s" % self.mechanisms,
            "log_path = %s" % (log_path or self.root / "loft.log"),
            "passdb passwd-file {",
            "  passwd_file_path = %s" % self.users_file,
            "  passdb_default_password_scheme = PLAIN",
            "}",
            "userdb passwd-file {",
            "  passwd_file_path = %s" % self.users_file,
            "}",
            "mail_driver = maildir",
            "mail_path = ~/Maildir",
        ]
        if self.pop3_lock_session is not None:
            lines.append("pop3_lock_session = %s"
                         % ("yes" if self.pop3_lock_session else "no"))
        lines += self._listeners()
        lines += self.extra
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------- servers ---

def _kill_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


class Server:
    """A running server.  Subclasses say how to start it."""

    kind = "?"
    all_running = []  # for attaching logs to failed test reports

    def __init__(self, config, users, cafile, host="127.0.0.1"):
        self.config = config
        self.users = users
        self.cafile = cafile
        self.host = host
        self.proc = None
        self.stopped = False
        self.prefix = []  # e.g. ["ip", "netns", "exec", NAME]
        self.stderr_path = config.root / ("%s.stderr" % self.kind)
        self.log_path = config.root / ("%s.log" % self.kind)

    def port(self, name="pop3"):
        return self.config.ports[name]

    def command(self):
        raise NotImplementedError

    def start(self, wait=True):
        # a server may be started again after stop(): it must be stopped
        # again at teardown
        self.stopped = False
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=self._stderr,
            stderr=self._stderr, cwd=str(self.config.root),
            start_new_session=True)
        Server.all_running.append(self)
        if wait:
            wait_ports(self.host, [p for p in self.config.ports.values() if p],
                       proc=self.proc, describe=self.describe)
        return self

    def log_text(self):
        out = []
        for p in (self.stderr_path, self.log_path):
            try:
                data = p.read_bytes()
            except OSError:
                continue
            out.append("==> %s <==\n%s" % (p, data.decode("utf-8", "replace")))
        return "\n".join(out)

    def describe(self):
        return "%s server (%s)\n%s" % (self.kind, " ".join(self.command()),
                                       self.log_text())

    def crash_lines(self):
        bad = []
        for p in (self.stderr_path, self.log_path):
            try:
                for line in p.read_bytes().splitlines():
                    if CRASH_RE.search(line):
                        bad.append(line.decode("utf-8", "replace"))
            except OSError:
                pass
        return bad

    def stop(self):
        """SIGTERM and wait.  Returns a list of problems (empty when the
        server stopped cleanly and logged no crash)."""
        problems = []
        if self.proc is None or self.stopped:
            return problems
        self.stopped = True
        if self in Server.all_running:
            Server.all_running.remove(self)
        if self.proc.poll() is not None:
            problems.append("server had already exited with status %s"
                            % self.proc.returncode)
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                problems.append("server did not exit within %.0f s of SIGTERM"
                                % STOP_DEADLINE)
                _kill_group(self.proc, signal.SIGKILL)
                self.proc.wait()
        # Anything the master left behind in its session is ours to end.
        _kill_group(self.proc, signal.SIGKILL)
        self._stderr.close()
        problems += ["crash in log: " + line for line in self.crash_lines()]
        return problems

    # client helpers -------------------------------------------------------

    def ssl_context(self):
        return tls_context(self.cafile)

    def raw(self, tls=False, port=None):
        from pop3client import RawPop3
        if port is None:
            port = self.port("pop3s" if tls else "pop3")
        return RawPop3(self.host, port,
                       ssl_context=self.ssl_context() if tls else None)

    def poplib(self, mode="plain"):
        """A connected poplib client: mode plain, stls or ssl."""
        import poplib
        if mode == "ssl":
            return poplib.POP3_SSL(self.host, self.port("pop3s"),
                                   context=self.ssl_context(),
                                   timeout=IO_TIMEOUT)
        c = poplib.POP3(self.host, self.port("pop3"), timeout=IO_TIMEOUT)
        if mode == "stls":
            c.stls(context=self.ssl_context())
        return c

    def imaplib(self, mode="plain"):
        """A connected imaplib client: mode plain, starttls or ssl."""
        import imaplib
        if mode == "ssl":
            return imaplib.IMAP4_SSL(self.host, self.port("imaps"),
                                     ssl_context=self.ssl_context(),
                                     timeout=IO_TIMEOUT)
        c = imaplib.IMAP4(self.host, self.port("imap"), timeout=IO_TIMEOUT)
        if mode == "starttls":
            c.starttls(ssl_context=self.ssl_context())
        return c

    def imap_login(self, user, mode="plain"):
        c = self.imaplib(mode)
        c.login(user.name, user.password)
        return c

    def login(self, user, mode="plain"):
        c = self.poplib(mode)
        c.user(user.name)
        c.pass_(user.password)
        return c


class LoftServer(Server):
    kind = "loft"

    def __init__(self, config, users, cafile, v24=False, **kw):
        super().__init__(config, users, cafile, **kw)
        self.conf_path = config.root / ("loft-24.conf" if v24 else "loft.conf")
        text = (config.render_24(log_path=self.log_path) if v24
                else config.render_23(log_path=self.log_path))
        self.conf_path.write_text(text)

    def command(self):
        return self.prefix + [str(LOFT_BIN), "-F", "-c", str(self.conf_path)]


class DovecotServer(Server):
    """Debian's Dovecot as the reference peer, with a private base_dir and
    state_dir so it never touches a system instance."""
    kind = "dovecot"

    def __init__(self, config, users, cafile, **kw):
        super().__init__(config, users, cafile, **kw)
        self.conf_path = config.root / "dovecot.conf"
        text = config.render_23(log_path=self.log_path,
                                base_dir=config.root / "dovecot-run")
        text += "\n".join([
            "state_dir = %s" % (config.root / "dovecot-state"),
            "instance_name = loft-ref-%s" % config.root.name,
            "ssl_dh = <%s" % dh_params(),
            "pop3_uidl_format = %08Xu%08Xv",
            "mail_privileged_group =",
            "login_greeting = Dovecot ready.",
            "",
        ])
        (config.root / "dovecot-state").mkdir(exist_ok=True)
        self.conf_path.write_text(text)

    def command(self):
        return self.prefix + [str(DOVECOT_BIN), "-F", "-c", str(self.conf_path)]


_DH = None


def dh_params():
    """The RFC 7919 ffdhe2048 group for Dovecot 2.3's ssl_dh (cached)."""
    global _DH
    if _DH is None:
        d = Path(tempfile.gettempdir()) / "loft-it-dh2048.pem"
        if not d.exists():
            tmp = d.with_suffix(".tmp%d" % os.getpid())
            subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm",
                            "DH", "-pkeyopt", "group:ffdhe2048",
                            "-out", str(tmp)], check=True, capture_output=True)
            os.replace(tmp, d)
        _DH = d
    return _DH


def dovecot_available():
    return DOVECOT_BIN.exists() and os.access(DOVECOT_BIN, os.X_OK)


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def connect_retry(fn, deadline=START_DEADLINE):
    """Calls fn() until it stops failing with [IN-USE] (a previous session
    of the same user is still being torn down by the server) or the
    deadline passes.  This is readiness polling: the result is asserted by
    the caller, never the time it took."""
    import poplib
    end = time.monotonic() + deadline
    while True:
        try:
            return fn()
        except poplib.error_proto as e:
            if b"[IN-USE]" not in e.args[0] or time.monotonic() > end:
                raise
        time.sleep(0.05)


def login_retry(server, user, mode="plain"):
    def attempt():
        c = server.poplib(mode)
        try:
            c.user(user.name)
            c.pass_(user.password)
        except Exception:
            c.close()
            raise
        return c
    return connect_retry(attempt)
