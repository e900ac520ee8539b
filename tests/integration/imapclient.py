"""A small IMAP client for tests that imaplib cannot express: IDLE,
untagged responses read as they arrive, and a trace of every line sent and
received (attached to assertion messages so a failing client step names
the IMAP exchange that broke).

Responses are returned as bytes lines with their literals inlined: a line
ending in {n} is joined with the n bytes that follow and the rest of the
line.  Reads are bounded by a socket timeout that only guards against a
hung server; waiting for an event uses an explicit deadline."""

import os
import re
import socket
import time
from pathlib import Path

import pytest

from loftlib import BUILD_DIR, IO_TIMEOUT

LITERAL_RE = re.compile(rb"\{(\d+)\+?\}$")


def require_imap(kind):
    """Skips the test, naming what is missing, when the Loft build has no
    imap or imap-login service binary yet."""
    if kind != "loft":
        return
    libexec = Path(os.environ.get("LOFT_LIBEXEC_DIR",
                                  BUILD_DIR / "src" / "libexec"))
    missing = [str(libexec / n) for n in ("imap-login", "imap")
               if not (libexec / n).exists()]
    if missing:
        pytest.skip("Loft's IMAP services are not built: %s missing"
                    % ", ".join(missing))


class ServerClosed(Exception):
    pass


class ImapError(Exception):
    """A tagged NO or BAD; args[0] is the tagged line, .trace the exchange."""

    def __init__(self, line, trace):
        super().__init__(line)
        self.trace = trace


class RawImap:
    def __init__(self, host, port, ssl_context=None, timeout=IO_TIMEOUT,
                 server_hostname="localhost"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.server_hostname = server_hostname
        if ssl_context is not None:
            self.sock = ssl_context.wrap_socket(
                self.sock, server_hostname=server_hostname)
        self.buf = b""
        self.ntag = 0
        self.log = []
        self.greeting = self.read_response()

    # -- I/O ---------------------------------------------------------------

    def trace(self, last=60):
        """The last lines of the exchange, C: sent, S: received."""
        return "\n".join(self.log[-last:])

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        for line in data.split(b"\r\n"):
            if line:
                self.log.append("C: " + line[:300].decode("utf-8", "replace"))
        self.sock.sendall(data)

    def _fill(self, deadline=None):
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("deadline passed")
            self.sock.settimeout(min(left, self.timeout))
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        finally:
            if deadline is not None:
                self.sock.settimeout(self.timeout)
        if not data:
            raise ServerClosed("connection closed by server; unread %r\n%s"
                               % (self.buf[:200], self.trace()))
        self.buf += data

    def _line(self, deadline=None):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill(deadline)

    def _bytes(self, n, deadline=None):
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, deadline=None):
        """One response line with any literals inlined."""
        out = b""
        while True:
            line = self._line(deadline)
            out += line
            m = LITERAL_RE.search(line)
            if not m:
                break
            out += b"\r\n" + self._bytes(int(m.group(1)), deadline)
        self.log.append("S: " + out[:300].decode("utf-8", "replace"))
        return out

    # -- commands -----------------------------------------------------------

    def next_tag(self):
        self.ntag += 1
        return "T%03d" % self.ntag

    def command(self, cmd, check=True, literal=None):
        """Sends `tag cmd` (with a synchronising literal when literal is
        given: cmd then ends in the literal's size) and reads to the tagged
        reply.  Returns (untagged lines, tagged line); raises ImapError on
        NO/BAD when check is set."""
        tag = self.next_tag()
        if literal is None:
            self.send("%s %s\r\n" % (tag, cmd))
        else:
            self.send("%s %s {%d}\r\n" % (tag, cmd, len(literal)))
            line = self.read_response()
            if not line.startswith(b"+"):
                raise ImapError(line, self.trace())
            self.sock.sendall(literal)
            self.log.append("C: <literal %d bytes>" % len(literal))
            self.send(b"\r\n")
        untagged = []
        tagb = tag.encode()
        while True:
            line = self.read_response()
            if line.startswith(tagb + b" "):
                break
            untagged.append(line)
        status = line.split(b" ", 2)[1]
        if check and status != b"OK":
            raise ImapError(line, self.trace())
        return untagged, line

    def login(self, user, password):
        return self.command("LOGIN %s %s" % (quote(user), quote(password)))

    def starttls(self, ssl_context):
        self.command("STARTTLS")
        self.sock = ssl_context.wrap_socket(
            self.sock, server_hostname=self.server_hostname)

    def wait_for(self, pred, deadline_s):
        """Reads untagged responses until pred(line) is true or the deadline
        passes.  Returns (matching line or None, lines read)."""
        deadline = time.monotonic() + deadline_s
        seen = []
        while True:
            try:
                line = self.read_response(deadline)
            except socket.timeout:
                return None, seen
            seen.append(line)
            if pred(line):
                return line, seen

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def quote(s):
    """An IMAP quoted string."""
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def response_code(line, name):
    """The argument of [NAME arg] in a response line, or None."""
    m = re.search(rb"\[" + name.encode() + rb"(?: ([^\]]*))?\]", line)
    if not m:
        return None
    return (m.group(1) or b"").decode()


FETCH_UID_RE = re.compile(rb"\bUID (\d+)")
FETCH_FLAGS_RE = re.compile(rb"\bFLAGS \(([^)]*)\)")
FETCH_DATE_RE = re.compile(rb'\bINTERNALDATE "([^"]*)"')
FETCH_SIZE_RE = re.compile(rb"\bRFC822\.SIZE (\d+)")
FETCH_SEQ_RE = re.compile(rb"^(?:\* )?(\d+) FETCH ")


def parse_fetch(line):
    """The simple items of one FETCH response line (imaplib's or raw):
    {"seq", "uid", "flags" (set of str), "internaldate", "size"}, each
    present only when the line carries it."""
    if isinstance(line, tuple):
        line = line[0]
    out = {}
    m = FETCH_SEQ_RE.match(line)
    if m:
        out["seq"] = int(m.group(1))
    else:
        m = re.match(rb"^(?:\* )?(\d+) \(", line)
        if m:
            out["seq"] = int(m.group(1))
    m = FETCH_UID_RE.search(line)
    if m:
        out["uid"] = int(m.group(1))
    m = FETCH_FLAGS_RE.search(line)
    if m:
        out["flags"] = set(m.group(1).decode().split())
    m = FETCH_DATE_RE.search(line)
    if m:
        out["internaldate"] = m.group(1).decode()
    m = FETCH_SIZE_RE.search(line)
    if m:
        out["size"] = int(m.group(1))
    return out


LIST_RE = re.compile(rb'^(?:\* (?:LIST|LSUB) )?\(([^)]*)\) (NIL|"(?:[^"\\]|\\.)*") (.*)$')


def parse_list(line):
    """(set of attributes, separator or None, mailbox name as str) of one
    LIST/LSUB line (imaplib's or raw); quoted names are unquoted."""
    if isinstance(line, tuple):  # imaplib: name sent as a literal
        head, name = line
        line = head.rsplit(b"{", 1)[0] + b'"' + name.replace(b"\\", b"\\\\") \
            .replace(b'"', b'\\"') + b'"'
    m = LIST_RE.match(line)
    assert m, "not a LIST line: %r" % (line,)
    attrs = set(m.group(1).decode().split())
    sep = None if m.group(2) == b"NIL" else \
        m.group(2)[1:-1].replace(b"\\\\", b"\\").decode()
    name = m.group(3)
    if name.startswith(b'"'):
        name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
    return attrs, sep, name.decode()
