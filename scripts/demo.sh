#!/bin/sh
# demo.sh - run a demo Loft POP3 server from the build directory.
#
# Creates ./demo/ in the repository (git-ignored): a self-signed
# certificate, a passwd-file with user "demo" / password "demo", a Maildir
# with three small messages and a Dovecot 2.3-syntax loft.conf listening on
# 127.0.0.1 (POP3 on 10110, POP3S on 10995, or free ports if those are
# taken).  Prints how to connect, then runs `loft -F` in the foreground;
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

pop3_port=$(pick_port 10110)
pop3s_port=$(pick_port 10995)
if [ "$pop3s_port" = "$pop3_port" ]; then
	pop3s_port=$(pick_port 0)
fi

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
protocols = pop3
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
  POP3  127.0.0.1:$pop3_port (STLS; plaintext login allowed on loopback)
  POP3S 127.0.0.1:$pop3s_port (implicit TLS, self-signed: $demo/cert.pem)

Try:
  curl -k pop3s://demo:demo@127.0.0.1:$pop3s_port/1
  curl --cacert $demo/cert.pem pop3s://demo:demo@127.0.0.1:$pop3s_port/
  python3 -c 'import poplib, ssl; c = poplib.POP3_SSL("127.0.0.1", $pop3s_port, context=ssl.create_default_context(cafile="$demo/cert.pem")); c.user("demo"); c.pass_("demo"); print(c.stat()); print(b"\\n".join(c.retr(1)[1]).decode()); c.quit()'

Mail client: POP3 server 127.0.0.1, port $pop3s_port with SSL/TLS (or $pop3_port
with STARTTLS), user demo, password "demo", normal password authentication;
accept the self-signed certificate.

Starting: $loft -F -c $demo/loft.conf   (Ctrl-C stops)
INFO

exec "$loft" -F -c "$demo/loft.conf"
