"""The master process: reload (SIGHUP and `loft reload`), restart of
crashed services, `loft stop`, the pid file, a second instance on the same
base_dir, and its listeners (IPv4 + IPv6, a port in use).

Each test runs its own server, since most of them signal or kill its
processes.  A test that kills a process on purpose accepts exactly the
crash line it caused at teardown and nothing else."""

import os
import re
import resource
import signal
import socket

import pytest

from loftlib import STOP_DEADLINE, login_retry, wait_ports
from procs import (LogWatch, alive, descendants, kill_quietly, loft_cli,
                   master_pid, one_service_pid, pidfile, service_pids,
                   stop_expecting, wait_until, worker_pids)

pytestmark = pytest.mark.loft_only


def greeting(srv, tls=False):
    with srv.raw(tls=tls) as c:
        return c.greeting


def set_greeting(srv, text):
    """Rewrites the server's config with a new login_greeting."""
    conf = srv.conf_path.read_text().splitlines()
    conf = [l for l in conf if not l.startswith("login_greeting")]
    conf.append("login_greeting = %s" % text)
    srv.conf_path.write_text("\n".join(conf) + "\n")


def start(factory, greeting_text="Before reload.", **kw):
    extra = list(kw.pop("extra", [])) + ["login_greeting = %s" % greeting_text]
    return factory.start(extra=extra, **kw)


def session_works(c, user):
    """An established poplib session still answers, with the right mail."""
    count, _ = c.stat()
    assert count == len(user.messages)
    _, lines, _ = c.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == \
        user.messages[0].replace(b"\n", b"\r\n")
    c.noop()


# ---------------------------------------------------------------- reload ---

def do_reload(srv, how):
    if how == "sighup":
        os.kill(master_pid(srv), signal.SIGHUP)
    else:
        r = loft_cli("-c", str(srv.conf_path), "reload")
        assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("how", ["sighup", "command"])
@pytest.mark.parametrize("mode", ["plain", "ssl"])
def test_reload_keeps_established_session(server_factory, how, mode):
    srv = start(server_factory)
    user = srv.users["alice"]
    master = master_pid(srv)
    old_login = one_service_pid(master, "pop3-login")
    old_dispatch = one_service_pid(master, "pop3")
    c = srv.login(user, mode=mode)
    session_works(c, user)

    log = LogWatch(srv)
    set_greeting(srv, "After reload.")
    do_reload(srv, how)
    log.wait(r"SIGHUP received - reloading configuration")
    # the new generation runs its own login and pop3 processes
    wait_until(lambda: any(p != old_login
                           for p in service_pids(master, "pop3-login")),
               "a pop3-login process of the new configuration")
    wait_until(lambda: any(p != old_dispatch
                           for p in service_pids(master, "pop3")),
               "a pop3 process of the new configuration")

    session_works(c, user)
    assert b"After reload." in wait_until(
        lambda: (lambda g: g if b"After reload." in g else None)(greeting(srv)),
        "the new greeting on a new connection")
    c2 = login_retry(srv, srv.users["bob"])
    session_works(c2, srv.users["bob"])
    c2.quit()

    # the old session is still served after all of that, and its
    # processes go away once it ends
    session_works(c, user)
    c.quit()
    wait_until(lambda: not alive(old_login), "the old pop3-login to exit")
    wait_until(lambda: not alive(old_dispatch), "the old pop3 to exit")
    # (a retired login process that still proxies a TLS session sees the
    # old auth process go and says so; anything else is a problem)
    bad = [l for l in log.text().splitlines()
           if re.search(r"Error|Fatal|Panic", l)
           and not re.search(r"pop3-login: Error: Auth server \S+ "
                             r"disconnected", l)]
    assert not bad, log.text()


def test_reload_uses_new_greeting_everywhere(server_factory):
    srv = start(server_factory)
    master = master_pid(srv)
    assert b"Before reload." in greeting(srv)
    assert b"Before reload." in greeting(srv, tls=True)
    old_login = one_service_pid(master, "pop3-login")

    set_greeting(srv, "After reload.")
    os.kill(master, signal.SIGHUP)
    # the old login process has no clients, so it exits; from then on
    # every connection is the new configuration's
    wait_until(lambda: not alive(old_login), "the old pop3-login to exit")
    for _ in range(5):
        assert b"After reload." in greeting(srv)
        assert b"After reload." in greeting(srv, tls=True)


def test_broken_config_on_reload_keeps_old_one(server_factory):
    srv = start(server_factory)
    master = master_pid(srv)
    before = sorted(descendants(master))
    good = srv.conf_path.read_text()
    lines = good.splitlines()
    lines.append("no_such_setting_at_all = 1")
    srv.conf_path.write_text("\n".join(lines) + "\n")
    bad_line = len(lines)

    log = LogWatch(srv)
    os.kill(master, signal.SIGHUP)
    m = log.wait(r"^.*Config reload failed.*$")
    assert "%s:%d" % (srv.conf_path, bad_line) in m.group(0), m.group(0)
    assert "no_such_setting_at_all" in m.group(0)

    # `loft reload` refuses the same file on the command line
    r = loft_cli("-c", str(srv.conf_path), "reload")
    assert r.returncode == 1
    assert "%s:%d" % (srv.conf_path, bad_line) in r.stderr, r.stderr

    # nothing was restarted and the old configuration keeps serving
    assert alive(master)
    assert sorted(descendants(master)) == before
    assert b"Before reload." in greeting(srv)
    c = login_retry(srv, srv.users["alice"])
    session_works(c, srv.users["alice"])
    c.quit()

    # and a good configuration after that is taken
    srv.conf_path.write_text(good.replace("Before reload.", "Fixed."))
    os.kill(master, signal.SIGHUP)
    wait_until(lambda: b"Fixed." in greeting(srv), "the fixed configuration")


def core_pattern():
    try:
        return open("/proc/sys/kernel/core_pattern").read().strip()
    except OSError:
        return ""


def test_reload_retires_processes_without_core_dumps(server_factory):
    """A retired process is asked to go, not made to dump core: with core
    dumps enabled, a reload leaves no core file behind."""
    pattern = core_pattern()
    if not pattern or pattern.startswith("|") or "/" in pattern:
        pytest.skip("core_pattern %r does not write core files into the "
                    "process's directory" % pattern)
    srv = start(server_factory)
    master = master_pid(srv)
    c = login_retry(srv, srv.users["alice"])  # so that a worker exists
    c.quit()
    old = descendants(master)
    cwds = set()
    for pid in old:
        try:
            resource.prlimit(pid, resource.RLIMIT_CORE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            cwds.add(os.readlink("/proc/%d/cwd" % pid))
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            pass  # gone, or changed uid (and so not dumpable anyway)
    before = {d: set(os.listdir(d)) for d in cwds}
    os.kill(master, signal.SIGHUP)
    wait_until(lambda: not any(alive(p) for p in old),
               "every process of the old configuration to exit")
    cores = ["%s/%s" % (d, f) for d in cwds for f in os.listdir(d)
             if f.startswith("core") and f not in before[d]]
    for f in cores:
        os.unlink(f)
    assert not cores, "core files after a reload: %s" % cores


# --------------------------------------------------------------- crashes ---

def no_core(pid):
    try:
        resource.prlimit(pid, resource.RLIMIT_CORE, (0, 0))
    except (ProcessLookupError, PermissionError):
        pass


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL],
                         ids=["SEGV", "KILL"])
@pytest.mark.parametrize("service", ["pop3-login", "auth", "pop3"])
def test_crashed_service_is_restarted(server_factory, monkeypatch, service,
                                      sig):
    # A sanitizer would catch the SIGSEGV itself and exit instead of
    # dying by the signal, which is what this test sends on purpose.
    monkeypatch.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "")
                       + ":handle_segv=0")
    srv = start(server_factory)
    master = master_pid(srv)
    user = srv.users["alice"]
    # a session before the crash, so that there is a worker and state
    c = login_retry(srv, user)
    session_works(c, user)
    c.quit()

    victim = one_service_pid(master, service)
    no_core(victim)
    log = LogWatch(srv)
    os.kill(victim, sig)
    pattern = (r"service\(%s\): child %d killed with signal %d\b"
               % (service, victim, sig))
    log.wait(pattern, "the master to log the crash of %s" % service)
    wait_until(lambda: service_pids(master, service)
               and victim not in service_pids(master, service),
               "a new %s process" % service)

    # new connections work again (the restart may be throttled)
    def logs_in():
        try:
            c = login_retry(srv, user)
        except Exception:
            return None
        return c
    c = wait_until(logs_in, "a login after the restart of %s" % service)
    session_works(c, user)
    c.quit()
    c = login_retry(srv, srv.users["bob"])
    session_works(c, srv.users["bob"])
    c.quit()
    assert alive(master)
    stop_expecting(srv, allowed=[pattern])


def test_established_session_survives_dispatcher_crash(server_factory):
    srv = start(server_factory)
    master = master_pid(srv)
    user = srv.users["alice"]
    c = login_retry(srv, user)
    session_works(c, user)
    victim = one_service_pid(master, "pop3")
    log = LogWatch(srv)
    os.kill(victim, signal.SIGKILL)
    pattern = r"service\(pop3\): child %d killed with signal 9\b" % victim
    log.wait(pattern)
    session_works(c, user)
    c.quit()
    stop_expecting(srv, allowed=[pattern])


# ------------------------------------------------------- stop, pid file ---

def test_pid_file_while_running(server_factory):
    srv = start(server_factory)
    pf = pidfile(srv)
    assert pf.read_text().strip() == str(master_pid(srv))


def test_stop_command_stops_everything(server_factory):
    srv = start(server_factory)
    master = master_pid(srv)
    user = srv.users["alice"]
    c = srv.raw()
    c.login(user.name, user.password)  # loopback counts as secure
    assert c.cmd("STAT").startswith(b"+OK")
    tls = srv.raw(tls=True)  # a TLS client held by the login process
    procs = descendants(master)
    assert service_pids(master, "auth")
    assert worker_pids(master), "no pop3 worker for the logged-in client"

    r = loft_cli("-c", str(srv.conf_path), "stop")
    assert r.returncode == 0, r.stderr
    # `loft stop` returns once the master is gone
    assert srv.proc.wait(timeout=STOP_DEADLINE) == 0
    assert not pidfile(srv).exists()
    wait_until(lambda: not any(alive(p) for p in procs),
               "every child of the master to exit")
    c.expect_closed()
    tls.expect_closed()
    c.close()
    tls.close()
    assert not (srv.config.root / "run" / "auth-client").exists()
    # a stop is not an error: the login processes are told before auth,
    # so they do not log auth going away ("Auth server ... disconnected")
    errors = [l for l in srv.log_text().splitlines() if ": Error: " in l]
    assert not errors

    r = loft_cli("-c", str(srv.conf_path), "stop")
    assert r.returncode == 1
    assert "not running" in r.stderr
    stop_expecting(srv, allowed=[r"already exited with status 0"])


def test_second_instance_on_same_base_dir_is_refused(server_factory):
    srv = start(server_factory)
    master = master_pid(srv)
    r = loft_cli("-F", "-c", str(srv.conf_path))
    assert r.returncode == 1
    assert "already running" in r.stderr and str(master) in r.stderr, \
        r.stderr
    # the running one is untouched: pid file, sockets, service
    assert pidfile(srv).read_text().strip() == str(master)
    assert (srv.config.root / "run" / "auth-client").exists()
    c = login_retry(srv, srv.users["alice"])
    session_works(c, srv.users["alice"])
    c.quit()


def test_daemon_mode_pid_file_and_stop(server_factory):
    cfg, users = server_factory.world()
    from loftlib import LoftServer
    srv = LoftServer(cfg, users, server_factory.cert[0])
    pf = srv.config.root / "run" / "master.pid"
    r = loft_cli("-c", str(srv.conf_path), timeout=STOP_DEADLINE * 2)
    pid = None
    try:
        assert r.returncode == 0, r.stderr
        # the parent returns only when the daemon wrote its pid file
        pid = int(pf.read_text())
        assert alive(pid)
        assert os.path.basename(os.readlink("/proc/%d/exe" % pid)) == "loft"
        wait_ports(srv.host, list(cfg.ports.values()))
        c = login_retry(srv, users["alice"])
        session_works(c, users["alice"])
        c.quit()
        procs = descendants(pid)
        r = loft_cli("-c", str(srv.conf_path), "stop")
        assert r.returncode == 0, r.stderr
        assert not alive(pid)
        assert not pf.exists()
        wait_until(lambda: not any(alive(p) for p in procs),
                   "every child of the daemon to exit")
    finally:
        if pid is not None and alive(pid):
            for p in descendants(pid) + [pid]:
                kill_quietly(p)
    assert not srv.crash_lines()


# ------------------------------------------------------------- listeners ---

def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def free_port_both():
    """A port free on 127.0.0.1 and on ::1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
            s6.bind(("::1", 0))
            port = s6.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s4:
                    s4.bind(("127.0.0.1", port))
                    return port
            except OSError:
                continue
    raise RuntimeError("no port free on both loopback addresses")


def test_listen_ipv4_and_ipv6(server_factory):
    if not have_ipv6_loopback():
        pytest.skip("::1 is not configured on this machine")
    ports = {"pop3": free_port_both(), "pop3s": free_port_both()}
    srv = start(server_factory, listen="127.0.0.1, ::1", ports=ports)
    wait_ports("::1", list(ports.values()))
    for host in ("127.0.0.1", "::1"):
        for name in ("pop3", "pop3s"):
            s = socket.create_connection((host, ports[name]), timeout=10)
            if name == "pop3s":
                ctx = srv.ssl_context()
                ctx.check_hostname = False
                s = ctx.wrap_socket(s)
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(512)
                assert chunk, "closed by %s:%d" % (host, ports[name])
                data += chunk
            s.close()
            assert data.startswith(b"+OK") and b"Before reload." in data, \
                (host, name, data)
    # a whole session over IPv6
    import poplib
    c = poplib.POP3("::1", ports["pop3"], timeout=30)
    c.user("alice")
    c.pass_(srv.users["alice"].password)
    session_works(c, srv.users["alice"])
    c.quit()
    log = srv.log_path.read_text()
    assert "rip=::1" in log, log


def test_port_in_use_is_fatal(server_factory):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        cfg, users = server_factory.world(
            ports={"pop3": port, "pop3s": free_port_both()})
        srv = server_factory.start_with(cfg, users, wait=False)
        status = srv.proc.wait(timeout=STOP_DEADLINE * 2)
        assert status == 1, srv.log_text()
        text = srv.log_text()
        fatal = [l for l in text.splitlines() if "Fatal:" in l]
        assert fatal, text
        assert "127.0.0.1" in fatal[0] and str(port) in fatal[0], fatal
        assert "Address already in use" in fatal[0], fatal
        assert not pidfile(srv).exists()
        assert not any(alive(p) for p in descendants(srv.proc.pid))
    finally:
        blocker.close()
    stop_expecting(srv, allowed=[r"already exited with status 1"])
