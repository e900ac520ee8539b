"""A server and a client in two network namespaces joined by a veth pair
with TEST-NET-1 addresses (192.0.2.0/24), so that the client comes from a
non-loopback address: for the tests of what an insecure connection may do
(test_pop3_netns.py, test_imap_login.py).  The namespaces are created for
one test and deleted afterwards; without root or iproute2 the test is
skipped."""

import json
import os
import shutil
import subprocess
import sys

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
    """(server namespace, client namespace)."""
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


def start_server_in(server_factory, srv_ns, ports):
    """Starts this run's server (SERVER_KIND) inside srv_ns, listening on
    SERVER_IP with the ports dict (e.g. {"imap": 1143}); does not wait for
    it: the client polls the ports from its own namespace.  Returns
    (server, config, users)."""
    from loftlib import LoftServer, DovecotServer
    from conftest import require_loft, require_dovecot
    cfg, users = server_factory.world(ports=ports, listen=SERVER_IP)
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
    return srv, cfg, users


def run_client(cli_ns, source, args, srv):
    """Runs the Python client source in cli_ns with args followed by the
    start deadline and the I/O timeout; it prints one JSON object, with
    "error" when the server never answered.  Returns that object."""
    p = subprocess.run(
        [IP, "netns", "exec", cli_ns, sys.executable, "-c", source]
        + [str(a) for a in args] + [str(START_DEADLINE), str(IO_TIMEOUT)],
        capture_output=True, timeout=START_DEADLINE + 4 * IO_TIMEOUT)
    assert p.returncode == 0, p.stderr.decode()
    res = json.loads(p.stdout)
    assert "error" not in res, res.get("error") + "\n" + srv.log_text()
    return res
