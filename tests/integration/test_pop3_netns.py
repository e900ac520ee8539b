"""Plaintext authentication from a non-loopback address without TLS is
refused (disable_plaintext_auth = yes), and allowed once the connection
is secured.  Runs the server and the client in two network namespaces
created for the test, joined by a veth pair with TEST-NET-1 addresses
(192.0.2.0/24), and deletes them afterwards."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import SERVER_KIND
from loftlib import START_DEADLINE, IO_TIMEOUT

SERVER_IP = "192.0.2.1"
CLIENT_IP = "192.0.2.2"
IP = shutil.which("ip")


def _ip(*args):
    subprocess.run([IP] + list(args), check=True, capture_output=True,
                   timeout=30)


@pytest.fixture
def netns():
    if IP is None:
        pytest.skip("iproute2 (ip) not installed")
    if os.geteuid() != 0:
        pytest.skip("creating network namespaces needs root")
    tag = "%d" % (os.getpid() % 100000)
    srv, cli = "loft-srv-" + tag, "loft-cli-" + tag
    va, vb = "lfta" + tag, "lftb" + tag
    created = []
    try:
        for ns in (srv, cli):
            _ip("netns", "add", ns)
            created.append(ns)
        _ip("link", "add", va, "type", "veth", "peer", "name", vb)
        _ip("link", "set", va, "netns", srv)
        _ip("link", "set", vb, "netns", cli)
        for ns, dev, addr in ((srv, va, SERVER_IP), (cli, vb, CLIENT_IP)):
            _ip("-n", ns, "addr", "add", addr + "/24", "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
    except subprocess.CalledProcessError as e:
        for ns in created:
            subprocess.run([IP, "netns", "del", ns], capture_output=True)
        pytest.skip("cannot create network namespaces here: %s"
                    % e.stderr.decode().strip())
    yield srv, cli
    for ns in created:
        subprocess.run([IP, "netns", "del", ns], capture_output=True)


CLIENT = textwrap.dedent(r'''
    import base64, json, socket, ssl, sys, time
    host, plain_port, tls_port, cafile, user, pw, deadline, io = sys.argv[1:]
    plain_port, tls_port = int(plain_port), int(tls_port)
    end = time.monotonic() + float(deadline)
    for port in (plain_port, tls_port):       # readiness polling
        while True:
            try:
                socket.create_connection((host, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > end:
                    print(json.dumps({"error": "port %d not ready" % port}))
                    sys.exit(0)
                time.sleep(0.05)
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False                 # cert names 127.0.0.1 only

    class C:
        def __init__(self, port, tls=False):
            s = socket.create_connection((host, port), timeout=float(io))
            self.s = ctx.wrap_socket(s) if tls else s
            self.f = self.s.makefile("rb")
            self.greeting = self.line()
        def line(self):
            return self.f.readline().rstrip(b"\r\n").decode("latin-1")
        def cmd(self, c):
            self.s.sendall(c.encode() + b"\r\n")
            return self.line()
        def multi(self, c):
            first = self.cmd(c)
            out = []
            if first.startswith("+OK"):
                while True:
                    l = self.line()
                    if l == ".":
                        break
                    out.append(l)
            return first, out
        def stls(self):
            r = self.cmd("STLS")
            if r.startswith("+OK"):
                self.s = ctx.wrap_socket(self.s)
                self.f = self.s.makefile("rb")
            return r

    res = {}
    c = C(plain_port)
    res["greeting"] = c.greeting
    res["capa"] = c.multi("CAPA")[1]
    res["user"] = c.cmd("USER " + user)
    res["pass"] = c.cmd("PASS " + pw)
    ir = base64.b64encode(("\0%s\0%s" % (user, pw)).encode()).decode()
    res["auth_plain"] = c.cmd("AUTH PLAIN " + ir)
    res["auth_login"] = c.cmd("AUTH LOGIN")
    if res["auth_login"].startswith("+"):
        res["auth_login"] = c.cmd("*")
    res["stls"] = c.stls()
    res["capa_tls"] = c.multi("CAPA")[1]
    res["user_tls"] = c.cmd("USER " + user)
    res["pass_tls"] = c.cmd("PASS " + pw)
    res["quit_tls"] = c.cmd("QUIT")
    c = C(tls_port, tls=True)
    res["auth_plain_tls"] = c.cmd("AUTH PLAIN " + ir)
    res["quit_ssl"] = c.cmd("QUIT")
    print(json.dumps(res))
''')


def test_plaintext_refused_from_non_loopback(netns, server_factory):
    srv_ns, cli_ns = netns
    cfg, users = server_factory.world(
        ports={"pop3": 1110, "pop3s": 1995}, listen=SERVER_IP)
    from loftlib import LoftServer, DovecotServer
    from conftest import require_loft, require_dovecot
    if SERVER_KIND == "loft":
        require_loft()
        srv = LoftServer(cfg, users, cfg.cert)
    else:
        require_dovecot()
        srv = DovecotServer(cfg, users, cfg.cert)
    srv.prefix = [IP, "netns", "exec", srv_ns]
    srv.host = SERVER_IP
    server_factory.servers.append(srv)
    srv.start(wait=False)   # readiness is polled from inside cli_ns

    u = users["alice"]
    p = subprocess.run(
        [IP, "netns", "exec", cli_ns, sys.executable, "-c", CLIENT,
         SERVER_IP, "1110", "1995", str(cfg.cert), u.name, u.password,
         str(START_DEADLINE), str(IO_TIMEOUT)],
        capture_output=True, timeout=START_DEADLINE + 4 * IO_TIMEOUT)
    assert p.returncode == 0, p.stderr.decode()
    res = json.loads(p.stdout)
    assert "error" not in res, res.get("error") + "\n" + srv.log_text()

    assert res["greeting"].startswith("+OK")
    caps = [c.upper() for c in res["capa"]]
    assert "STLS" in caps
    assert "USER" not in caps, "USER advertised on an insecure connection"
    sasl = [c for c in caps if c.startswith("SASL")]
    assert not sasl or sasl[0].split()[1:] == [], \
        "plaintext SASL mechanisms advertised: %s" % sasl
    # USER may be accepted and the refusal come at PASS; never a login.
    assert res["user"].startswith("-ERR") or res["pass"].startswith("-ERR")
    assert not res["pass"].startswith("+OK")
    assert res["auth_plain"].startswith("-ERR"), res["auth_plain"]
    assert res["auth_login"].startswith("-ERR"), res["auth_login"]
    # After STLS the same credentials work.
    assert res["stls"].startswith("+OK"), res["stls"]
    assert "USER" in [c.upper() for c in res["capa_tls"]]
    assert res["user_tls"].startswith("+OK"), res["user_tls"]
    assert res["pass_tls"].startswith("+OK"), res["pass_tls"]
    assert res["quit_tls"].startswith("+OK")
    assert res["auth_plain_tls"].startswith("+OK"), res["auth_plain_tls"]
    assert res["quit_ssl"].startswith("+OK")
