"""Fixtures for Loft's integration tests.

A test gets a running server through `server` (one per test module, for
tests that leave the mail untouched) or `fresh_server` (one per test, for
tests that delete mail, hold locks or otherwise change state), or builds
its own with `server_factory(...)`.  Each server lives in a private
temporary directory with its own passwd-file, Maildirs and config, listens
on free loopback ports, and is stopped with SIGTERM at teardown; a server
that does not stop, or that logged a crash, fails the test.  When a test
fails, the server logs are attached to its report.

LOFT_BUILD_DIR selects the build (default: <repo>/build).  Setting
LOFT_TEST_SERVER=dovecot runs the protocol tests against Debian's Dovecot
instead, which checks the tests themselves against a reference.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import loftlib  # noqa: E402
from loftlib import (Config, DovecotServer, LoftServer, Server,  # noqa: E402
                     WorkDir, free_port, make_cert, populate_users)

SERVER_KIND = os.environ.get("LOFT_TEST_SERVER", "loft")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "loft_only: exercises Loft's own command line or "
        "behaviour that Dovecot does not share (skipped when "
        "LOFT_TEST_SERVER=dovecot)")
    config.addinivalue_line(
        "markers", "dovecot: needs Debian's Dovecot as a reference peer")


def pytest_collection_modifyitems(config, items):
    if SERVER_KIND == "loft":
        return
    skip = pytest.mark.skip(
        reason="Loft-specific; LOFT_TEST_SERVER=%s" % SERVER_KIND)
    for item in items:
        if "loft_only" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when in ("setup", "call", "teardown"):
        for srv in list(Server.all_running) + getattr(item, "_loft_stopped", []):
            rep.sections.append(("%s server log" % srv.kind, srv.log_text()))


def require_loft():
    if not loftlib.LOFT_BIN.exists():
        pytest.fail("loft binary not found at %s (build it, or set "
                    "LOFT_BUILD_DIR)" % loftlib.LOFT_BIN, pytrace=False)


def require_dovecot():
    if not loftlib.dovecot_available():
        pytest.skip("Dovecot reference peer not installed at %s"
                    % loftlib.DOVECOT_BIN)
    if os.getuid() != 0:
        pytest.skip("running Dovecot as a reference peer needs root "
                    "(it drops to dovenull/dovecot itself)")


@pytest.fixture(scope="session")
def session_dir():
    d = WorkDir(prefix="loft-it-session-")
    yield d
    d.cleanup()


@pytest.fixture(scope="session")
def cert(session_dir):
    """(cert.pem, key.pem): one self-signed certificate for the session."""
    return make_cert(session_dir.path)


class Factory:
    """Builds servers and stops them all at teardown."""

    def __init__(self, cert, node=None):
        self.cert = cert
        self.dirs = []
        self.servers = []
        self.node = node

    def world(self, users=None, messages=None, ports=("pop3", "pop3s"),
              listen="127.0.0.1", **config_kw):
        """A directory with users, Maildirs and a Config, not started."""
        d = WorkDir()
        self.dirs.append(d)
        us = populate_users(d.path, users=users, messages=messages)
        if not isinstance(ports, dict):
            ports = {name: free_port() for name in ports}
        cfg = Config(d.path, self.cert[0], self.cert[1], dict(ports),
                     listen=listen, **config_kw)
        return cfg, us

    def start(self, kind=None, v24=False, wait=True, users=None,
              messages=None, **config_kw):
        kind = kind or SERVER_KIND
        cfg, us = self.world(users=users, messages=messages, **config_kw)
        return self.start_with(cfg, us, kind=kind, v24=v24, wait=wait)

    def start_with(self, cfg, us, kind=None, v24=False, wait=True):
        kind = kind or SERVER_KIND
        if kind == "loft":
            require_loft()
            srv = LoftServer(cfg, us, self.cert[0], v24=v24)
        elif kind == "dovecot":
            require_dovecot()
            srv = DovecotServer(cfg, us, self.cert[0])
        else:
            raise ValueError(kind)
        self.servers.append(srv)
        return srv.start(wait=wait)

    def stop(self, srv):
        """Stops one server now; fails the test if it did not stop cleanly."""
        problems = srv.stop()
        if problems:
            pytest.fail("%s: %s\n%s" % (srv.kind, "; ".join(problems),
                                        srv.log_text()), pytrace=False)

    def finish(self):
        problems = []
        for srv in self.servers:
            p = srv.stop()
            if p:
                problems.append("%s: %s\n%s" % (srv.kind, "; ".join(p),
                                                srv.log_text()))
        for d in self.dirs:
            if problems:
                continue  # keep the evidence
            d.cleanup()
        if problems:
            pytest.fail("server teardown:\n" + "\n".join(problems),
                        pytrace=False)


@pytest.fixture
def server_factory(cert, request):
    f = Factory(cert, request.node)
    yield f
    request.node._loft_stopped = list(f.servers)
    f.finish()


@pytest.fixture(scope="module")
def module_factory(cert):
    f = Factory(cert)
    yield f
    f.finish()


@pytest.fixture(scope="module")
def server(module_factory):
    """A server shared by the tests of one module: do not change its mail."""
    return module_factory.start()


@pytest.fixture
def fresh_server(server_factory):
    """A server of this test's own, with pop3_lock_session on so that the
    test may check the single-session rule."""
    return server_factory.start(pop3_lock_session=True)


@pytest.fixture
def user(server):
    return server.users["alice"]
