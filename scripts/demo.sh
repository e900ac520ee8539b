#!/bin/sh
# demo.sh - run a demo Loft IMAP and POP3 server from the build directory.
#
# Creates ./demo/ in the repository (git-ignored): a self-signed
# certificate, a passwd-file with user "demo" / password "demo", a Maildir
# with three small messages and a Dovecot 2.3-syntax loft.conf listening on
# 127.0.0.1 (IMAP on 10143, IMAPS on 10993, POP3 on 10110, POP3S on 10995,
# or free ports if those are taken); Drafts, Sent, Trash and Junk are
# created with their special-use flags at the first IMAP login.  Prints how to connect, then runs `loft -F` in the foreground;
# stop it with Ctrl-C.  It does not install or build anything: `make run`
# does that first.
#
#   scripts/demo.sh [--reset]      --reset: recreate demo/ from scratch
#   LOFT_BUILD_DIR=... scripts/demo.sh
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${LOFT_BUILD_DIR:-$repo/build}
loft=$build/src/loft
demo=$repo/demo

if [ "${1:-}" = "--reset" ]; then
	rm -rf "$demo"
fi

if [ ! -x "$loft" ]; then
	echo "demo: $loft not found; build first (make, or meson setup build && ninja -C build)" >&2
	exit 1
fi

# A port that can be bound on 127.0.0.1: the preferred one, else any free one.
pick_port() {
	python3 - "$1" <<'PY'
import socket, sys
want = int(sys.argv[1])
for port in (want, 0):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    print(s.getsockname()[1])
    s.close()
    break
PY
}

# Four distinct ports: a preferred one that is taken, or one that an
# earlier pick got as a free port, falls back to another free port.
picked=""
pick_distinct() {
	p=$(pick_port "$1")
	while case " $picked " in *" $p "*) true ;; *) false ;; esac; do
		p=$(pick_port 0)
	done
	picked="$picked $p"
}
pick_distinct 10110
pop3_port=$p
pick_distinct 10995
pop3s_port=$p
pick_distinct 10143
imap_port=$p
pick_distinct 10993
imaps_port=$p

# Mail is owned by the invoking user; when run as root, by "nobody",
# since mail access as uid 0 is refused (first_valid_uid).
if [ "$(id -u)" = 0 ]; then
	mail_uid=$(id -u nobody)
	mail_gid=$(id -g nobody)
else
	mail_uid=$(id -u)
	mail_gid=$(id -g)
fi

mkdir -p "$demo/run"
chmod 755 "$demo"

if [ ! -f "$demo/cert.pem" ] || [ ! -f "$demo/key.pem" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
		-subj "/CN=localhost" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$demo/key.pem" -out "$demo/cert.pem" 2>/dev/null
	chmod 600 "$demo/key.pem"
fi

home=$demo/home/demo
printf 'demo:{PLAIN}demo:%s:%s::%s::\n' "$mail_uid" "$mail_gid" "$home" \
	> "$demo/users"
chmod 644 "$demo/users"

if [ ! -d "$home/Maildir" ]; then
	mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp"
	now=$(date +%s)
	n=1
	for subject in "Welcome to Loft" "Your POP3 server works" "Dots and more"; do
		file="$home/Maildir/new/$((now + n)).M${n}P$$.loft-demo"
		{
			printf 'From: Loft Demo <demo@example.org>\n'
			printf 'To: demo@example.org\n'
			printf 'Subject: %s\n' "$subject"
			printf 'Date: %s\n' "$(LC_ALL=C date -R)"
			printf 'Message-ID: <demo-%s-%s@example.org>\n' "$now" "$n"
			printf 'MIME-Version: 1.0\n'
			printf 'Content-Type: text/plain; charset=us-ascii\n'
			printf '\n'
			printf 'This is demo message %s.\n' "$n"
			if [ "$n" = 3 ]; then
				printf '.A line that starts with a dot travels dot-stuffed.\n'
			fi
			printf '\n-- \nLoft\n'
		} > "$file"
		n=$((n + 1))
	done
	if [ "$(id -u)" = 0 ]; then
		chown -R "$mail_uid:$mail_gid" "$demo/home"
	fi
fi

cat > "$demo/loft.conf" <<CONF
# Loft demo configuration (Dovecot 2.3 syntax), written by scripts/demo.sh.
protocols = imap pop3
listen = 127.0.0.1
base_dir = $demo/run
ssl = yes
ssl_cert = <$demo/cert.pem
ssl_key = <$demo/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login apop
passdb {
  driver = passwd-file
  args = scheme=PLAIN $demo/users
}
userdb {
  driver = passwd-file
  args = $demo/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = .
  mailbox Drafts {
    auto = subscribe
    special_use = \\Drafts
  }
  mailbox Sent {
    auto = subscribe
    special_use = \\Sent
  }
  mailbox Trash {
    auto = subscribe
    special_use = \\Trash
  }
  mailbox Junk {
    auto = subscribe
    special_use = \\Junk
  }
}
service imap-login {
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = $imaps_port
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $pop3_port
  }
  inet_listener pop3s {
    port = $pop3s_port
    ssl = yes
  }
}
CONF

cat <<INFO
Loft demo: user "demo", password "demo", 3 messages in $home/Maildir
  IMAP  127.0.0.1:$imap_port (STARTTLS; plaintext login allowed on loopback)
  IMAPS 127.0.0.1:$imaps_port (implicit TLS, self-signed: $demo/cert.pem)
  POP3  127.0.0.1:$pop3_port (STLS; plaintext login allowed on loopback)
  POP3S 127.0.0.1:$pop3s_port (implicit TLS, self-signed: $demo/cert.pem)

Try IMAP (list the mailboxes, read message 1, search, the same over STARTTLS):
  curl --cacert $demo/cert.pem imaps://demo:demo@127.0.0.1:$imaps_port/
  curl --cacert $demo/cert.pem 'imaps://demo:demo@127.0.0.1:$imaps_port/INBOX;UID=1'
  curl --cacert $demo/cert.pem 'imaps://demo:demo@127.0.0.1:$imaps_port/INBOX?SUBJECT%20Welcome'
  curl --ssl-reqd --cacert $demo/cert.pem 'imap://demo:demo@127.0.0.1:$imap_port/INBOX;UID=1'
  python3 -c 'import imaplib, ssl; c = imaplib.IMAP4_SSL("127.0.0.1", $imaps_port, ssl_context=ssl.create_default_context(cafile="$demo/cert.pem")); c.login("demo", "demo"); print(c.list()); c.select("INBOX"); print(c.fetch("1", "(FLAGS BODY.PEEK[])")[1][0][1].decode()); c.logout()'
  python3 -c 'import imaplib, ssl; c = imaplib.IMAP4("127.0.0.1", $imap_port); c.starttls(ssl.create_default_context(cafile="$demo/cert.pem")); c.login("demo", "demo"); c.select("INBOX", readonly=True); print(c.search(None, "SUBJECT", "dots")); print(c.fetch("1", "(BODY.PEEK[TEXT])")[1][0][1].decode()); c.logout()'

Try POP3:
  curl -k pop3s://demo:demo@127.0.0.1:$pop3s_port/1
  curl --cacert $demo/cert.pem pop3s://demo:demo@127.0.0.1:$pop3s_port/
  python3 -c 'import poplib, ssl; c = poplib.POP3_SSL("127.0.0.1", $pop3s_port, context=ssl.create_default_context(cafile="$demo/cert.pem")); c.user("demo"); c.pass_("demo"); print(c.stat()); print(b"\\n".join(c.retr(1)[1]).decode()); c.quit()'

Mail client (Thunderbird, mutt, ...): IMAP server 127.0.0.1, port $imaps_port with
SSL/TLS (or $imap_port with STARTTLS), user demo, password "demo", normal
password authentication; accept the self-signed certificate or trust
$demo/cert.pem. With mutt:
  mutt -f imaps://demo@127.0.0.1:$imaps_port/INBOX -e 'set imap_pass=demo certificate_file=$demo/certs'
(answer "a" to accept the certificate once). POP3 works the same way on
port $pop3s_port (SSL/TLS) or $pop3_port (STARTTLS).

Starting: $loft -F -c $demo/loft.conf   (Ctrl-C stops)
INFO

exec "$loft" -F -c "$demo/loft.conf"
