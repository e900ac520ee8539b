"""Running real mail clients against a server, for the client tests of
every protocol (test_clients.py for POP3, test_imap_clients.py for IMAP).
Only what the protocols share lives here: fetchmail with a recording
MDA.  Each test says itself what the client's output must show."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

FETCHMAIL = shutil.which("fetchmail")

# The MDA fetchmail runs for each message: stores it as NNNN.eml in the
# directory named by its argument, in delivery order.
MDA = r'''
import os, sys
d = sys.argv[1]
n = len(os.listdir(d)) + 1
with open(os.path.join(d, "%04d.eml" % n), "wb") as f:
    f.write(sys.stdin.buffer.read())
'''


def run_fetchmail(srv, user, protocol, mode, workdir, keep,
                  options_on_cmdline=False):
    """Runs fetchmail once (fetchall, keep or nokeep) for user over
    protocol ("pop3" or "imap") in mode "plain", "ssl" (the implicit-TLS
    port) or "stls"/"starttls"; returns (process, delivered messages in
    order).  options_on_cmdline repeats keep/all/mda as command-line
    options."""
    workdir = Path(workdir)
    out = workdir / ("out-" + mode)
    out.mkdir(parents=True)
    mda = workdir / "mda.py"
    mda.write_text(MDA)
    port = srv.port(protocol + "s" if mode == "ssl" else protocol)
    opts = ["no rewrite", "fetchall", "keep" if keep else "nokeep"]
    if mode == "ssl":
        opts += ["ssl", "sslcertck", "sslcertfile '%s'" % srv.cafile,
                 "sslcommonname 'localhost'"]
    elif mode in ("stls", "starttls"):
        opts += ["sslproto 'tls1.2+'", "sslcertck",
                 "sslcertfile '%s'" % srv.cafile, "sslcommonname 'localhost'"]
    else:
        opts += ["sslproto ''"]
    rc = workdir / ("fetchmailrc-" + mode)
    rc.write_text(
        "set no syslog\n"
        "set no bouncemail\n"
        "set invisible\n"
        "poll 127.0.0.1 port %d protocol %s auth password\n"
        "  user '%s' there password '%s' is 'localuser' here\n"
        "  %s\n"
        "  mda '%s %s %s'\n"
        % (port, protocol, user.name, user.password, "\n  ".join(opts),
           sys.executable, mda, out))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=str(workdir), FETCHMAILHOME=str(workdir),
               LC_ALL="C")
    argv = [FETCHMAIL, "--fetchmailrc", str(rc), "--idfile",
            str(workdir / (".fetchids-" + mode)), "--pidfile",
            str(workdir / ("fetchmail-%s.pid" % mode)), "--nodetach",
            "--verbose"]
    if options_on_cmdline:
        argv += ["--keep" if keep else "--nokeep", "--all", "--mda",
                 "%s %s %s" % (sys.executable, mda, out)]
    p = subprocess.run(argv, capture_output=True, timeout=300, env=env,
                       cwd=str(workdir))
    got = [f.read_bytes() for f in sorted(out.iterdir())]
    return p, got
