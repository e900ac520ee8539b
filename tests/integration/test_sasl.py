"""SASL mechanisms through the real server: POP3 AUTH with CRAM-MD5,
SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (tls-exporter channel
binding), ANONYMOUS on and off, EXTERNAL with client certificates from a
CA made by the test (and from another CA, and none), and the known failure modes: a PLUS
exchange on a connection without TLS, wrong channel binding data, a
client's "y" flag while the server offers -PLUS (downgrade), and a
mechanism that needs credentials the passdb does not have."""

import base64
import ctypes
import ctypes.util
import hashlib
import hmac
import os
import subprocess

import pytest

import loftlib
from pop3client import RawPop3

pytestmark = pytest.mark.loft_only

MECHS = ("plain login cram-md5 scram-sha-1 scram-sha-256 "
         "scram-sha-256-plus scram-sha-1-plus")


# Failures are expected by the dozen here; do not wait after each (no
# failure delay; loopback is trusted, so no per-IP penalty either).
NO_DELAY = ["auth_failure_delay = 0",
            "login_trusted_networks = 127.0.0.0/8"]


def b64(data):
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text, validate=True)


@pytest.fixture(scope="module")
def srv(module_factory):
    return module_factory.start(mechanisms=MECHS, plaintext=True,
                                extra=NO_DELAY)


def connect(srv, tls=False):
    if tls:
        ctx = loftlib.tls_context(srv.cafile)
        return RawPop3(srv.host, srv.port("pop3s"), ssl_context=ctx)
    return RawPop3(srv.host, srv.port("pop3"))


def challenge(line):
    assert line.startswith(b"+ ") or line == b"+", line
    return unb64(line[2:].decode()) if len(line) > 2 else b""


def tls_exporter(sock):
    """RFC 9266 tls-exporter bytes of a Python ssl socket: Python has no
    export_keying_material, so call OpenSSL on the socket's SSL *."""
    libssl = ctypes.CDLL(ctypes.util.find_library("ssl") or "libssl.so.3")
    obj = sock._sslobj
    # PySSLSocket: PyObject_HEAD, PyObject *Socket, SSL *ssl
    ptr = ctypes.c_void_p.from_address(
        id(obj) + object.__basicsize__ + ctypes.sizeof(ctypes.c_void_p)).value
    libssl.SSL_version.argtypes = [ctypes.c_void_p]
    if ptr is None or libssl.SSL_version(ptr) != 0x304:
        pytest.skip("cannot reach OpenSSL's SSL object from Python's ssl")
    out = ctypes.create_string_buffer(32)
    label = b"EXPORTER-Channel-Binding"
    f = libssl.SSL_export_keying_material
    f.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                  ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                  ctypes.c_size_t, ctypes.c_int]
    assert f(ptr, out, 32, label, len(label), None, 0, 0) == 1
    return out.raw


def capa_sasl(c):
    status, lines = c.cmd_multi("CAPA")
    assert status.startswith(b"+OK"), status
    for line in lines:
        if line.upper().startswith(b"SASL"):
            return line.decode().split()[1:]
    return []


# ------------------------------------------------------------- CRAM-MD5 ---

def cram_auth(c, user, password):
    chal = challenge(c.cmd("AUTH CRAM-MD5"))
    assert chal.startswith(b"<") and chal.endswith(b">") and b"@" in chal
    digest = hmac.new(password.encode(), chal, hashlib.md5).hexdigest()
    return c.cmd(b64(("%s %s" % (user, digest)).encode()))


def test_cram_md5(srv):
    u = srv.users["alice"]
    with connect(srv) as c:
        assert cram_auth(c, u.name, u.password).startswith(b"+OK")
        assert c.cmd("STAT").startswith(b"+OK")


def test_cram_md5_wrong_password_and_garbage(srv):
    u = srv.users["alice"]
    with connect(srv) as c:
        assert cram_auth(c, u.name, u.password + "x").startswith(b"-ERR")
        c.cmd("AUTH CRAM-MD5")
        assert c.cmd(b64(b"no-digest-here")).startswith(b"-ERR")
        c.cmd("AUTH CRAM-MD5")
        assert c.cmd(b64(b"alice " + b"zz" * 16)).startswith(b"-ERR")
        assert cram_auth(c, u.name, u.password).startswith(b"+OK")


# ----------------------------------------------------------------- SCRAM ---

class Scram:
    def __init__(self, hname, user, password, gs2=b"n,,", cbind=b""):
        self.h = getattr(hashlib, hname)
        self.hname = hname
        self.user, self.password = user, password
        self.gs2, self.cbind = gs2, cbind
        self.cnonce = b64(os.urandom(18))

    def first(self):
        self.bare = "n=%s,r=%s" % (self.user, self.cnonce)
        return self.gs2 + self.bare.encode()

    def final(self, server_first, proof_fix=None, nonce=None, cbind=None):
        self.server_first = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in self.server_first.split(","))
        assert attrs["r"].startswith(self.cnonce)
        salted = hashlib.pbkdf2_hmac(self.hname, self.password.encode(),
                                     unb64(attrs["s"]), int(attrs["i"]))
        ckey = hmac.new(salted, b"Client Key", self.h).digest()
        skey = hmac.new(salted, b"Server Key", self.h).digest()
        c = b64(self.gs2 + (self.cbind if cbind is None else cbind))
        without = "c=%s,r=%s" % (c, nonce or attrs["r"])
        auth_msg = ("%s,%s,%s" % (self.bare, self.server_first,
                                  without)).encode()
        sig = hmac.new(self.h(ckey).digest(), auth_msg, self.h).digest()
        proof = bytes(a ^ b for a, b in zip(ckey, sig))
        if proof_fix:
            proof = proof_fix(proof)
        self.server_sig = hmac.new(skey, auth_msg, self.h).digest()
        return ("%s,p=%s" % (without, b64(proof))).encode()


def scram_auth(c, mech, scram, **final_kw):
    """Runs the exchange; returns the final reply line."""
    line = c.cmd("AUTH %s %s" % (mech, b64(scram.first())))
    if line.startswith(b"-ERR"):
        return line
    line = c.cmd(b64(scram.final(challenge(line), **final_kw)))
    if line.startswith(b"-ERR"):
        return line
    assert challenge(line) == b"v=" + b64(scram.server_sig).encode()
    return c.cmd("")


@pytest.mark.parametrize("mech,hname", [("SCRAM-SHA-1", "sha1"),
                                        ("SCRAM-SHA-256", "sha256")])
def test_scram(srv, mech, hname):
    u = srv.users["alice"]
    with connect(srv) as c:
        assert scram_auth(c, mech, Scram(hname, u.name,
                                         u.password)).startswith(b"+OK")
        assert c.cmd("STAT").startswith(b"+OK")


def test_scram_wrong_password_unknown_user_and_bad_nonce(srv):
    u = srv.users["alice"]
    with connect(srv) as c:
        s = Scram("sha256", u.name, u.password + "x")
        assert scram_auth(c, "SCRAM-SHA-256", s).startswith(b"-ERR")
        # unknown users get a server-first too, and fail at the proof
        s = Scram("sha256", "nosuchuser", "whatever")
        assert scram_auth(c, "SCRAM-SHA-256", s).startswith(b"-ERR")
        s = Scram("sha256", u.name, u.password)
        assert scram_auth(c, "SCRAM-SHA-256", s,
                          nonce=s.cnonce + "forged").startswith(b"-ERR")
        s = Scram("sha256", u.name, u.password)
        assert scram_auth(c, "SCRAM-SHA-256", s,
                          proof_fix=lambda p: p[:-1] + bytes([p[-1] ^ 1])
                          ).startswith(b"-ERR")
        for bad in (b"x,,n=alice,r=abc", b"n,,m=ext,n=alice,r=abc",
                    b"n,,n=al=ice,r=abc", b"n,,n=alice", b"n,,n=alice,r=a\x00b",
                    b"p=tls-unique,,n=alice,r=abc"):
            assert c.cmd("AUTH SCRAM-SHA-256 %s" % b64(bad)).startswith(
                b"-ERR"), bad
        assert scram_auth(c, "SCRAM-SHA-256",
                          Scram("sha256", u.name, u.password)
                          ).startswith(b"+OK")


def test_plus_advertised_only_over_tls(srv):
    with connect(srv) as c:
        mechs = capa_sasl(c)
        assert "SCRAM-SHA-256" in mechs and "CRAM-MD5" in mechs
        assert not any(m.endswith("-PLUS") for m in mechs), mechs
    with connect(srv, tls=True) as c:
        mechs = capa_sasl(c)
        assert "SCRAM-SHA-256-PLUS" in mechs and "SCRAM-SHA-1-PLUS" in mechs


def test_scram_plus_over_tls(srv):
    u = srv.users["alice"]
    with connect(srv, tls=True) as c:
        cb = tls_exporter(c.sock)
        s = Scram("sha256", u.name, u.password, gs2=b"p=tls-exporter,,",
                  cbind=cb)
        assert scram_auth(c, "SCRAM-SHA-256-PLUS", s).startswith(b"+OK")
        assert c.cmd("STAT").startswith(b"+OK")


def test_scram_plus_wrong_channel_binding(srv):
    """A client (or a man in the middle relaying between two TLS
    sessions) cannot choose the channel binding data."""
    u = srv.users["alice"]
    with connect(srv, tls=True) as c:
        s = Scram("sha256", u.name, u.password, gs2=b"p=tls-exporter,,",
                  cbind=os.urandom(32))
        assert scram_auth(c, "SCRAM-SHA-256-PLUS", s).startswith(b"-ERR")
        # right password, channel binding data of another connection
        s = Scram("sha1", u.name, u.password, gs2=b"p=tls-exporter,,",
                  cbind=b"\0" * 32)
        assert scram_auth(c, "SCRAM-SHA-1-PLUS", s).startswith(b"-ERR")


def test_scram_plus_without_tls_fails(srv):
    """No TLS, no channel binding data from the login: whatever the
    client sends, the PLUS exchange fails."""
    u = srv.users["alice"]
    with connect(srv) as c:
        s = Scram("sha256", u.name, u.password, gs2=b"p=tls-exporter,,",
                  cbind=b"\0" * 32)
        assert scram_auth(c, "SCRAM-SHA-256-PLUS", s).startswith(b"-ERR")
        s = Scram("sha256", u.name, u.password)
        assert scram_auth(c, "SCRAM-SHA-256-PLUS", s).startswith(b"-ERR")
        # p= with a non-PLUS mechanism is refused too
        s = Scram("sha256", u.name, u.password, gs2=b"p=tls-exporter,,",
                  cbind=b"\0" * 32)
        assert scram_auth(c, "SCRAM-SHA-256", s).startswith(b"-ERR")


def test_scram_downgrade_y_flag(srv):
    """RFC 5802 section 6: "y" says the client could bind but believes the
    server cannot; over TLS where -PLUS is offered that means the list was
    tampered with."""
    u = srv.users["alice"]
    with connect(srv, tls=True) as c:
        s = Scram("sha256", u.name, u.password, gs2=b"y,,")
        assert scram_auth(c, "SCRAM-SHA-256", s).startswith(b"-ERR")
    with connect(srv) as c:
        s = Scram("sha256", u.name, u.password, gs2=b"y,,")
        assert scram_auth(c, "SCRAM-SHA-256", s).startswith(b"+OK")


# -------------------------------------------- credentials the db lacks ---

def test_mechanism_refused_for_crypt_passdb(server_factory):
    """CRAM-MD5 and SCRAM need their own stored form or the plaintext: a
    SHA512-CRYPT passdb refuses them cleanly while PLAIN still works."""
    cfg, us = server_factory.world(mechanisms="plain cram-md5 scram-sha-256",
                                   plaintext=True, extra=NO_DELAY)
    u = us["alice"]
    hashed = subprocess.run(["openssl", "passwd", "-6", u.password],
                            check=True, capture_output=True,
                            text=True).stdout.strip()
    out = []
    for line in cfg.users_file.read_text().splitlines():
        f = line.split(":")
        if f[0] == u.name:
            f[1] = "{SHA512-CRYPT}" + hashed
        out.append(":".join(f))
    cfg.users_file.write_text("\n".join(out) + "\n")
    srv = server_factory.start_with(cfg, us)
    with connect(srv) as c:
        assert cram_auth(c, u.name, u.password).startswith(b"-ERR")
        s = Scram("sha256", u.name, u.password)
        assert scram_auth(c, "SCRAM-SHA-256", s).startswith(b"-ERR")
        assert c.login(u.name, u.password).startswith(b"+OK")


# ------------------------------------------------------------ ANONYMOUS ---

def test_anonymous_off_by_default(srv):
    with connect(srv) as c:
        assert "ANONYMOUS" not in capa_sasl(c)
        assert c.cmd("AUTH ANONYMOUS %s" % b64(b"me@example.com")
                     ).startswith(b"-ERR")


def test_anonymous_on(server_factory):
    users = dict(loftlib.DEFAULT_USERS)
    users["guest"] = "unused-password"
    srv = server_factory.start(mechanisms="plain anonymous", plaintext=True,
                               users=users,
                               extra=NO_DELAY + [
                                   "auth_anonymous_username = guest"])
    with connect(srv) as c:
        assert "ANONYMOUS" in capa_sasl(c)
        assert c.cmd("AUTH ANONYMOUS %s" % b64(b"me@example.com")
                     ).startswith(b"+OK")
        assert c.cmd("STAT").startswith(b"+OK")
    with connect(srv) as c:
        assert c.cmd("AUTH ANONYMOUS %s" % b64(b"x" * 300)).startswith(b"-ERR")


# ------------------------------------------------------------- EXTERNAL ---

def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=str(cwd), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(d, name):
    """A self-signed test CA: returns (cert, key) paths."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=Loft test CA %s" % name, "-keyout",
             "%s-ca.key" % name, "-out", "%s-ca.pem" % name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    return d / ("%s-ca.pem" % name), d / ("%s-ca.key" % name)


def make_client_cert(d, ca, cn):
    """A client certificate with CN=cn signed by ca: (cert, key)."""
    stem = "client-%s-%s" % (ca[0].stem, cn)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % cn,
             "-keyout", stem + ".key", "-out", stem + ".csr", cwd=d)
    (d / (stem + ".ext")).write_text(
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    _openssl("x509", "-req", "-in", stem + ".csr", "-CA", str(ca[0]),
             "-CAkey", str(ca[1]), "-CAcreateserial", "-days", "2",
             "-extfile", stem + ".ext", "-out", stem + ".pem", cwd=d)
    return d / (stem + ".pem"), d / (stem + ".key")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = make_ca(d, "good")
    other = make_ca(d, "other")
    return {
        "ca": ca[0],
        "alice": make_client_cert(d, ca, "alice"),
        "bob": make_client_cert(d, ca, "bob"),
        "frank": make_client_cert(d, ca, "frank"),
        "alice-other-ca": make_client_cert(d, other, "alice"),
    }


def external_server(factory, pki, from_cert):
    """A server asking for client certificates from pki's CA, with a deny
    passdb (bob) before the users and a nologin user (frank)."""
    cfg, us = factory.world(
        mechanisms="plain external", plaintext=True,
        extra=NO_DELAY + ["auth_verbose = yes",
                          "ssl_verify_client_cert = yes",
                          "ssl_ca = <%s" % pki["ca"],
                          "auth_ssl_username_from_cert = %s"
                          % ("yes" if from_cert else "no")])
    deny = cfg.root / "deny"
    deny.write_text("bob\n")
    users = cfg.users_file.read_text().splitlines(True)
    users = [l.rstrip("\n") + "nologin=y reason=Moved-away\n"
             if l.startswith("frank:") else l for l in users]
    cfg.users_file.write_text("".join(users))
    render = cfg.render_23

    def render_with_deny(*a, **kw):
        return render(*a, **kw).replace(
            "passdb {", "passdb {\n  driver = passwd-file\n  args = %s\n"
            "  deny = yes\n}\npassdb {" % deny, 1)
    cfg.render_23 = render_with_deny
    return factory.start_with(cfg, us)


def connect_cert(srv, cert=None):
    ctx = loftlib.tls_context(srv.cafile)
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return RawPop3(srv.host, srv.port("pop3s"), ssl_context=ctx)


def external(c, authzid=b""):
    resp = b64(authzid) if authzid else "="
    return c.cmd("AUTH EXTERNAL %s" % resp)


def test_external_username_from_cert(server_factory, pki):
    srv = external_server(server_factory, pki, from_cert=True)
    with connect_cert(srv, pki["alice"]) as c:
        assert "EXTERNAL" in capa_sasl(c)
        assert external(c).startswith(b"+OK")
        status, lines = c.cmd_multi("LIST")
        assert status.startswith(b"+OK")
        assert len(lines) == len(srv.users["alice"].messages)
    # an authzid naming the certificate's user is fine, another is not
    with connect_cert(srv, pki["alice"]) as c:
        assert external(c, b"alice").startswith(b"+OK")
    with connect_cert(srv, pki["alice"]) as c:
        assert external(c, b"carol").startswith(b"-ERR")
    # no certificate, or one from another CA
    with connect_cert(srv) as c:
        assert external(c).startswith(b"-ERR")
    with connect_cert(srv, pki["alice-other-ca"]) as c:
        assert external(c).startswith(b"-ERR")
        # the connection still serves a password login
        assert c.cmd("AUTH PLAIN %s" % b64(
            b"\0alice\0" + srv.users["alice"].password.encode())
        ).startswith(b"+OK")
    # EXTERNAL goes through the deny passdb and nologin
    with connect_cert(srv, pki["bob"]) as c:
        assert external(c).startswith(b"-ERR")
    with connect_cert(srv, pki["frank"]) as c:
        resp = external(c)
        assert resp.startswith(b"-ERR") and b"Moved-away" in resp, resp
    log = srv.log_text()
    assert "User found from deny passdb" in log


def test_external_username_from_authzid(server_factory, pki):
    srv = external_server(server_factory, pki, from_cert=False)
    with connect_cert(srv, pki["alice"]) as c:
        assert external(c, b"carol").startswith(b"+OK")
        assert c.cmd("STAT").startswith(b"+OK")
    with connect_cert(srv, pki["alice"]) as c:
        # no authorization identity and no username from the cert
        assert external(c).startswith(b"-ERR")
    with connect_cert(srv, pki["alice"]) as c:
        assert external(c, b"bob").startswith(b"-ERR")
    with connect_cert(srv, pki["alice"]) as c:
        assert external(c, b"ghost").startswith(b"-ERR")
    with connect_cert(srv) as c:
        assert external(c, b"carol").startswith(b"-ERR")
    with connect_cert(srv, pki["alice-other-ca"]) as c:
        assert external(c, b"carol").startswith(b"-ERR")
