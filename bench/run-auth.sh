#!/bin/sh
# run-auth.sh - authentications per second through the auth-client socket:
# Loft's auth service against Debian Dovecot's auth (stock, and tuned with
# auth_cache_verify_password_with_worker), for a {PLAIN} and an
# SHA512-CRYPT passwd-file, plus this machine's raw SHA512-CRYPT rate on
# all cores (the ceiling for the second case). One server at a time.
#
#   bench/run-auth.sh [-d SECS] [-c CONNS] [-p PIPELINE] [-T THREADS] [-k]
#
# The same client (bench/auth-bench.c: CONNS connections over THREADS
# client threads, PIPELINE requests outstanding on each) runs against
# every server; the report ends with the client's own CPU use, which must
# stay well under one core for the figures to be the servers'.
#
# Needs root for Dovecot (without root only Loft and the hash rate are
# measured). Results: bench/results/auth-DATE.txt.
set -eu

SECS=10 CONNS=16 PIPE=8 THREADS=1 KEEP=0
while getopts d:c:p:T:k opt; do
	case $opt in
	d) SECS=$OPTARG ;;
	c) CONNS=$OPTARG ;;
	p) PIPE=$OPTARG ;;
	T) THREADS=$OPTARG ;;
	k) KEEP=1 ;;
	*) echo "usage: $0 [-d SECS] [-c CONNS] [-p PIPELINE] [-T THREADS] [-k]" >&2; exit 64 ;;
	esac
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${LOFT_BUILD_DIR:-$REPO/build}
AUTH=$BUILD/src/libexec/auth
[ -x "$AUTH" ] || AUTH=$BUILD/src/auth/auth
LOFTADM=$BUILD/src/loftadm
OUT=$REPO/bench/results
mkdir -p "$OUT"
cc -O2 -std=c17 -Wall -Wextra -o "$OUT/auth-bench" "$REPO/bench/auth-bench.c" \
	-lpthread -lcrypt
BENCH=$OUT/auth-bench
WORK=$(mktemp -d /tmp/loft-authbench.XXXXXX)
chmod 755 "$WORK"
NUSERS=100
PASS=bench-Secret1

cleanup() {
	[ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
	[ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

CRYPT_HASH=$("$LOFTADM" pw -s SHA512-CRYPT -p "$PASS")
i=0
: >"$WORK/users"
while [ $i -lt $NUSERS ]; do
	echo "plain$i:{PLAIN}$PASS" >>"$WORK/users"
	echo "crypt$i:$CRYPT_HASH" >>"$WORK/users"
	i=$((i + 1))
done
chmod 644 "$WORK/users"

wait_socket() {
	n=0
	while [ ! -S "$1" ]; do
		n=$((n + 1))
		[ $n -gt 200 ] && { echo "no socket $1" >&2; exit 1; }
		sleep 0.05
	done
}

measure() { # socket prefix label
	"$BENCH" -s "$1" -u "$2" -n $NUSERS -w "$PASS" -c "$CONNS" \
		-p "$PIPE" -T "$THREADS" -d "$SECS" 2>"$WORK/client.err"
	sed "s/^auth-bench: /$3: /" "$WORK/client.err" >>"$WORK/client.txt"
}

run_loft() {
	cat >"$WORK/loft.conf" <<EOF
base_dir = $WORK/loft-run
log_path = $WORK/loft.log
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = $WORK/users
}
EOF
	env -u LOFT_LISTENERS "$AUTH" -c "$WORK/loft.conf" &
	PID=$!
	wait_socket "$WORK/loft-run/auth-client"
	LOFT_PLAIN=$(measure "$WORK/loft-run/auth-client" plain "loft {PLAIN}")
	LOFT_CRYPT=$(measure "$WORK/loft-run/auth-client" crypt "loft SHA512-CRYPT")
	kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

run_dovecot() { # name extra-settings
	dir=$WORK/dovecot-$1
	mkdir -p "$dir/state"
	cat >"$dir/dovecot.conf" <<EOF
protocols =
base_dir = $dir/run
state_dir = $dir/state
instance_name = loft-authbench-$1
log_path = $dir/dovecot.log
ssl = no
auth_mechanisms = plain
disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = $WORK/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
$2
EOF
	/usr/sbin/dovecot -F -c "$dir/dovecot.conf" &
	PID=$!
	wait_socket "$dir/run/auth-client"
	P=$(measure "$dir/run/auth-client" plain "dovecot-$1 {PLAIN}")
	C=$(measure "$dir/run/auth-client" crypt "dovecot-$1 SHA512-CRYPT")
	kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
	echo "$P $C"
}

HASH=$("$BENCH" -H -w "$PASS" -d "$SECS")
run_loft
DS_PLAIN=- DS_CRYPT=- DT_PLAIN=- DT_CRYPT=-
if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/dovecot ]; then
	set -- $(run_dovecot stock "")
	DS_PLAIN=$1 DS_CRYPT=$2
	set -- $(run_dovecot tuned "auth_cache_size = 10M
auth_cache_verify_password_with_worker = yes
service auth-worker {
  process_limit = $(nproc)
}")
	DT_PLAIN=$1 DT_CRYPT=$2
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }'; }
REPORT=$OUT/auth-$(date +%Y%m%d-%H%M%S).txt
{
	echo "auth benchmark: $(nproc) CPUs, $SECS s, $CONNS connections x $PIPE pipelined, $THREADS client thread(s), $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "| passdb | loft | dovecot-stock | dovecot-tuned | loft/best dovecot | raw hash limit | loft/limit |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	BP=$(awk -v a="$DS_PLAIN" -v b="$DT_PLAIN" 'BEGIN { print (a + 0 > b + 0) ? a : b }')
	BC=$(awk -v a="$DS_CRYPT" -v b="$DT_CRYPT" 'BEGIN { print (a + 0 > b + 0) ? a : b }')
	echo "| {PLAIN} | $LOFT_PLAIN | $DS_PLAIN | $DT_PLAIN | $(ratio "$LOFT_PLAIN" "$BP") | - | - |"
	echo "| SHA512-CRYPT | $LOFT_CRYPT | $DS_CRYPT | $DT_CRYPT | $(ratio "$LOFT_CRYPT" "$BC") | $HASH | $(ratio "$LOFT_CRYPT" "$HASH") |"
	echo
	cat "$WORK/client.txt"
} | tee "$REPORT"
