"""Plaintext authentication from a non-loopback address without TLS is
refused (disable_plaintext_auth = yes), and allowed once the connection
is secured.  Runs the server and the client in two network namespaces
(netnslib.py)."""

import textwrap

from netnslib import netns  # noqa: F401 (the fixture)
from netnslib import SERVER_IP, run_client, start_server_in


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
    srv, cfg, users = start_server_in(server_factory, srv_ns,
                                      {"pop3": 1110, "pop3s": 1995})
    u = users["alice"]
    res = run_client(cli_ns, CLIENT, [SERVER_IP, 1110, 1995, cfg.cert,
                                      u.name, u.password], srv)

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
