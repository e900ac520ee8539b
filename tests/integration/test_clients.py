"""Real POP3 clients from Debian against the server: curl (pop3://,
pop3s://, STLS) and fetchmail (plain, STLS and implicit TLS, delivering
through an MDA and deleting with --nokeep)."""

import shutil
import subprocess

import pytest

from clientlib import FETCHMAIL, run_fetchmail
from loftlib import crlf, wire_size

CURL = shutil.which("curl")


def _curl(srv, user, url_path, scheme="pop3", extra=()):
    port = srv.port("pop3s" if scheme == "pop3s" else "pop3")
    cmd = [CURL, "--silent", "--show-error", "--max-time", "60",
           "--user", "%s:%s" % (user.name, user.password)]
    cmd += list(extra)
    cmd.append("%s://127.0.0.1:%d/%s" % (scheme, port, url_path))
    return subprocess.run(cmd, capture_output=True, timeout=120)


needs_curl = pytest.mark.skipif(CURL is None, reason="curl not installed")


@needs_curl
@pytest.mark.parametrize("scheme,tls_args", [
    ("pop3", []),
    ("pop3", ["--ssl-reqd", "--cacert", "CA"]),
    ("pop3s", ["--cacert", "CA"]),
    ("pop3s", ["--insecure"]),
])
def test_curl_list_and_retrieve(server, scheme, tls_args):
    u = server.users["alice"]
    args = [str(server.cafile) if a == "CA" else a for a in tls_args]
    p = _curl(server, u, "", scheme, args)
    assert p.returncode == 0, p.stderr
    want = b"".join(b"%d %d\r\n" % (i, wire_size(m))
                    for i, m in enumerate(u.messages, 1))
    assert p.stdout == want
    for n in (1, 2, 4, 6):
        p = _curl(server, u, str(n), scheme, args)
        assert p.returncode == 0, p.stderr
        assert p.stdout == crlf(u.messages[n - 1]), "message %d differs" % n


@needs_curl
def test_curl_wrong_password_fails(server):
    u = server.users["alice"]

    class Wrong:
        name = u.name
        password = "wrong"
    p = _curl(server, Wrong, "", "pop3s", ["--cacert", str(server.cafile)])
    assert p.returncode == 67, (p.returncode, p.stderr)  # CURLE_LOGIN_DENIED


@needs_curl
def test_curl_rejects_untrusted_certificate(server):
    """Without our CA the handshake must fail verification: proves the
    pop3s tests above really verify."""
    u = server.users["alice"]
    p = _curl(server, u, "", "pop3s", ["--cacert", "/dev/null"])
    assert p.returncode != 0


# ------------------------------------------------------------- fetchmail ---

def _fetchmail(srv, user, mode, workdir):
    """Runs fetchmail once with --nokeep; returns (process, delivered
    messages in order)."""
    return run_fetchmail(srv, user, "pop3", mode, workdir, keep=False,
                         options_on_cmdline=True)


@pytest.mark.skipif(FETCHMAIL is None, reason="fetchmail not installed")
@pytest.mark.parametrize("mode", ["plain", "stls", "ssl"])
def test_fetchmail_retrieves_and_deletes(server_factory, mode, tmp_path):
    srv = server_factory.start()
    u = srv.users["alice"]
    p, got = _fetchmail(srv, u, mode, tmp_path)
    detail = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 0, detail
    assert len(got) == len(u.messages), detail
    for i, (g, m) in enumerate(zip(got, u.messages), 1):
        # fetchmail hands the MDA LF line ends, as stored.
        assert g == m, "message %d not byte-exact" % i
    sent_stls = "POP3> STLS" in detail
    assert sent_stls == (mode == "stls"), detail
    assert u.message_files() == [], "maildir not empty after --nokeep"
    c = srv.login(u, "ssl")
    assert c.stat() == (0, 0)
    c.quit()
    c.close()
