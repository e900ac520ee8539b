"""`loft` command line and configuration handling: errors name FILE:LINE
in one line and exit 1 with nothing listening; `loft -n` prints only what
differs from the defaults, the same for the 2.3 and 2.4 forms of one
configuration, and its output reads back to itself."""

import os
import re
import subprocess

import pytest

import loftlib
from conftest import require_loft
from loftlib import Config, WorkDir, free_port, port_open

pytestmark = pytest.mark.loft_only


@pytest.fixture
def world(cert):
    d = WorkDir()
    loftlib.populate_users(d.path, users={"alice": "pw"}, messages=[])
    cfg = Config(d.path, cert[0], cert[1],
                 {"pop3": free_port(), "pop3s": free_port()})
    yield cfg
    d.cleanup()


def _loft(*args, timeout=30):
    require_loft()
    return subprocess.run([str(loftlib.LOFT_BIN)] + list(args),
                          capture_output=True, timeout=timeout)


def _insert(text, lineno, line):
    """Inserts line so that it becomes line number lineno (1-based)."""
    lines = text.split("\n")
    lines.insert(lineno - 1, line)
    return "\n".join(lines)


ERRORS = [
    # (id, line inserted at line 5 of the main file, included file content)
    ("unknown-setting", "no_such_setting = 1", None),
    ("misspelled-setting", "protocol = pop3", None),
    ("bad-boolean", "disable_plaintext_auth = perhaps", None),
    ("bad-ssl-value", "ssl = sometimes", None),
    ("bad-number", "mail_max_userip_connections = many", None),
    ("bad-time", "login_timeout = soon", None),
    ("missing-include", "!include /nonexistent/loft-test/missing.conf", None),
    ("unclosed-section", "passdb {", None),
    ("stray-close", "}", None),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
@pytest.mark.parametrize("mode", ["-F", "-n"])
def test_config_error_names_file_and_line(world, case, mode):
    name, bad, _ = case
    path = world.root / "bad.conf"
    text = world.render_23()
    lineno = 5
    if name == "unclosed-section":
        # An unclosed section is reported where the file ends or where
        # it was opened; accept either.
        text = text + bad + "\n"
        lineno = None
    else:
        text = _insert(text, lineno, bad)
    path.write_text(text)
    p = _loft("-c", str(path), mode)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, (p.returncode, err)
    lines = [l for l in err.split("\n") if l]
    assert len(lines) == 1, "expected one line on stderr, got: %r" % err
    real = re.escape(os.path.realpath(path))
    if lineno is None:
        assert re.fullmatch(r"loft: Fatal: (%s|%s):\d+: \S.*"
                            % (real, re.escape(str(path))), lines[0]), lines[0]
    else:
        assert re.fullmatch(r"loft: Fatal: (%s|%s):%d: \S.*"
                            % (real, re.escape(str(path)), lineno),
                            lines[0]), lines[0]
    if mode == "-F":
        for port in world.ports.values():
            assert not port_open("127.0.0.1", port), "port %d open" % port


def test_error_in_included_file_names_that_file(world):
    inc = world.root / "conf.d"
    inc.mkdir()
    (inc / "10-extra.conf").write_text("# extra\nauth_mechanisms = plain\n"
                                        "not_a_setting = yes\n")
    path = world.root / "main.conf"
    path.write_text(world.render_23() + "!include %s/*.conf\n" % inc)
    p = _loft("-c", str(path), "-F")
    err = p.stderr.decode()
    assert p.returncode == 1, err
    lines = [l for l in err.split("\n") if l]
    assert len(lines) == 1, err
    assert re.fullmatch(r"loft: Fatal: %s:3: \S.*"
                        % re.escape(os.path.realpath(inc / "10-extra.conf")),
                        lines[0]), lines[0]


def test_include_try_missing_is_fine(world):
    path = world.root / "try.conf"
    path.write_text(world.render_23() +
                    "!include_try /nonexistent/loft-test/*.conf\n"
                    "!include_try /nonexistent/loft-test/one.conf\n")
    p = _loft("-c", str(path), "-n")
    assert p.returncode == 0, p.stderr


def test_missing_config_file(world):
    path = world.root / "does-not-exist.conf"
    p = _loft("-c", str(path), "-F")
    assert p.returncode == 1
    lines = [l for l in p.stderr.decode().split("\n") if l]
    assert len(lines) == 1 and lines[0].startswith("loft: Fatal: "), lines
    assert "does-not-exist.conf" in lines[0]


def _settings(out):
    """-n output without comment lines and blank lines."""
    return [l for l in out.decode().split("\n")
            if l.strip() and not l.lstrip().startswith("#")]


def _top_keys(lines):
    keys = set()
    depth = 0
    for l in lines:
        s = l.strip()
        if depth == 0:
            m = re.match(r"([A-Za-z0-9_]+(?:\s+[^{=\s]+)?)\s*(=|\{)", s)
            if m:
                keys.add(m.group(1).split()[0])
        depth += s.count("{") - s.count("}")
    return keys


def test_dash_n_shows_only_changed_settings(world):
    path = world.root / "loft.conf"
    path.write_text(world.render_23())
    p = _loft("-c", str(path), "-n")
    assert p.returncode == 0, p.stderr
    lines = _settings(p.stdout)
    text = "\n".join(lines)
    assert re.search(r"^protocols = pop3$", text, re.M), text
    assert re.search(r"^listen = 127\.0\.0\.1$", text, re.M), text
    assert str(world.users_file) in text
    assert "%d" % world.ports["pop3"] in text
    assert "%d" % world.ports["pop3s"] in text
    keys = _top_keys(lines)
    # Left at their defaults, so not printed.
    for k in ("first_valid_uid", "pop3_uidl_format", "login_greeting",
              "imap_max_line_length", "ssl"):
        assert k not in keys, "%s printed although unchanged:\n%s" % (k, text)


def test_dash_n_same_for_23_and_24_forms(world):
    p23 = world.root / "c23.conf"
    p24 = world.root / "c24.conf"
    p23.write_text(world.render_23())
    p24.write_text(world.render_24())
    for extra in ([], ["--as", "2.3"], ["--as", "2.4"]):
        a = _loft("-c", str(p23), "-n", *extra)
        b = _loft("-c", str(p24), "-n", *extra)
        assert a.returncode == 0, a.stderr
        assert b.returncode == 0, b.stderr
        assert _settings(a.stdout) == _settings(b.stdout), \
            "loft -n %s differs:\n--- 2.3 form\n%s\n--- 2.4 form\n%s" % (
                " ".join(extra), a.stdout.decode(), b.stdout.decode())


@pytest.mark.parametrize("form", ["2.3", "2.4"])
def test_dash_n_output_reads_back(world, form):
    src = world.root / "src.conf"
    src.write_text(world.render_23())
    first = _loft("-c", str(src), "-n", "--as", form)
    assert first.returncode == 0, first.stderr
    again = world.root / ("again-%s.conf" % form)
    again.write_bytes(first.stdout)
    second = _loft("-c", str(again), "-n", "--as", form)
    assert second.returncode == 0, second.stderr
    assert _settings(second.stdout) == _settings(first.stdout)


def test_dash_n_agrees_with_doveconf_on_what_changed(world):
    """The same settings count as changed for loft -n and Dovecot's
    doveconf -n (compared by name, top level)."""
    doveconf = "/usr/bin/doveconf"
    if not os.access(doveconf, os.X_OK):
        pytest.skip("doveconf not installed")
    path = world.root / "loft.conf"
    path.write_text(world.render_23())
    d = subprocess.run([doveconf, "-c", str(path), "-n"],
                       capture_output=True, timeout=30)
    assert d.returncode == 0, d.stderr
    p = _loft("-c", str(path), "-n", "--as", "2.3")
    assert p.returncode == 0, p.stderr
    assert _top_keys(_settings(p.stdout)) == _top_keys(_settings(d.stdout))


def test_valid_config_starts_and_stops(world, server_factory):
    """Positive control for the error tests: the unmodified config starts."""
    srv = server_factory.start_with(world, {}, kind="loft")
    assert port_open("127.0.0.1", world.ports["pop3"])
    server_factory.stop(srv)
    assert srv.proc.returncode == 0, srv.log_text()
