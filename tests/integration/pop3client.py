"""A small line-level POP3 client for tests that poplib cannot express:
raw bytes, AUTH exchanges, pipelining, half-sent commands and abrupt
disconnects.  Reads are bounded by a socket timeout that only guards
against a hung server; tests never rely on it to wait for anything."""

import socket
import struct

from loftlib import IO_TIMEOUT


class ServerClosed(Exception):
    pass


class RawPop3:
    def __init__(self, host, port, ssl_context=None, timeout=IO_TIMEOUT,
                 server_hostname="127.0.0.1"):
        self.host = host
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.server_hostname = server_hostname
        if ssl_context is not None:
            self.sock = ssl_context.wrap_socket(
                self.sock, server_hostname=server_hostname)
        self.buf = b""
        self.greeting = self.readline()

    # -- I/O ---------------------------------------------------------------

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            raise ServerClosed("connection closed by server; unread %r"
                               % self.buf[:200])
        self.buf += data

    def readline(self):
        """One line without its CRLF.  Fails if the server ends a line with
        a bare LF."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
                assert line.endswith(b"\r\n"), "line not CRLF-terminated: %r" % line
                return line[:-2]
            self._fill()

    def read_multiline(self):
        """Lines of a multi-line response up to the terminating '.', with
        dot-stuffing removed."""
        lines = []
        while True:
            line = self.readline()
            if line == b".":
                return lines
            if line.startswith(b"."):
                line = line[1:]
            lines.append(line)

    def read_multiline_raw(self):
        """The bytes of a multi-line body exactly as sent, terminator
        included."""
        out = []
        while True:
            line = self.readline()
            out.append(line + b"\r\n")
            if line == b".":
                return b"".join(out)

    def cmd(self, line):
        """Sends a command and returns the status line."""
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")
        return self.readline()

    def cmd_multi(self, line):
        """(status line, lines) for a command with a multi-line answer; the
        lines are empty when the status is not +OK."""
        status = self.cmd(line)
        if not status.startswith(b"+OK"):
            return status, []
        return status, self.read_multiline()

    def login(self, user, password):
        r = self.cmd("USER " + user)
        assert r.startswith(b"+OK"), r
        r = self.cmd("PASS " + password)
        assert r.startswith(b"+OK"), r
        return r

    def stls(self, ssl_context):
        r = self.cmd("STLS")
        assert r.startswith(b"+OK"), r
        assert self.buf == b"", "data after STLS reply: %r" % self.buf
        self.sock = ssl_context.wrap_socket(
            self.sock, server_hostname=self.server_hostname)
        return r

    def expect_closed(self):
        """Reads until EOF; returns what arrived before it."""
        got = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                return self.buf + got
            if not data:
                return self.buf + got
            got += data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Closes with a TCP RST, like a client that crashed."""
        try:
            s = self.sock
            if hasattr(s, "unwrap"):
                raw = socket.socket(fileno=s.detach())
            else:
                raw = s
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                           struct.pack("ii", 1, 0))
            raw.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
