#!/bin/bash
# run-pop3.sh - POP3 benchmark: Loft against Debian's Dovecot.
#
# Builds bench/popbench, prepares one private directory per server (same
# users with PLAIN passwords, each RETR user with its own 1,000-message
# Maildir), then for each server in turn - Loft, Dovecot in its stock
# configuration, Dovecot tuned for performance (login and pop3 processes
# reused) - starts it on loopback, measures
#   - POP3 logins/s: USER/PASS/QUIT loops over CONNS connections for SECS s
#   - RETR throughput: RETR_CONNS users each RETR all 1,000 messages,
#     ROUNDS times over in one session, MB/s
#   - memory per idle authenticated connection: IDLE logged-in connections,
#     sum of Pss (/proc/PID/smaps_rollup) over the server's processes before
#     and after, divided by IDLE
# and stops it.  Servers run one at a time so they do not share CPU or
# split shared pages between them (which would lower each one's Pss).
# Prints a table with Loft/Dovecot ratios and saves it in bench/results/.
#
#   bench/run-pop3.sh [-d SECS] [-c CONNS] [-r RETR_CONNS] [-R ROUNDS]
#                     [-i IDLE] [-s "loft dovecot-stock dovecot-tuned"] [-k]
#   -k keeps the work directory.  LOFT_BUILD_DIR selects the Loft build.
# Dovecot runs as root (it drops privileges itself); without root only
# Loft is measured.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${LOFT_BUILD_DIR:-$repo/build}
bench_name=run-pop3
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
secs=10
conns=16
retr_conns=4
rounds=5
idle=500
servers="loft dovecot-stock dovecot-tuned"
keep=no
while getopts "d:c:r:R:i:s:k" o; do
	case $o in
	d) secs=$OPTARG ;;
	c) conns=$OPTARG ;;
	r) retr_conns=$OPTARG ;;
	R) rounds=$OPTARG ;;
	i) idle=$OPTARG ;;
	s) servers=$OPTARG ;;
	k) keep=yes ;;
	*) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

ncpu=$(nproc)
users=$(( idle > conns * 2 ? idle : conns * 2 ))
users=$(( users > retr_conns ? users : retr_conns ))
password=bench

make -s -C "$repo/bench" >/dev/null
popbench=$repo/bench/results/popbench
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true

bench_pick_servers
bench_make_work /tmp/loft-bench.XXXXXX
tok=${work##*.} # in the homes' names: see spread_subdirs

echo "run-pop3: preparing $users users, $retr_conns mailboxes of 1,000 messages, in $work" >&2

# The 1,000-message template: sizes from 1 KB to 256 KB, deterministic.
template=$work/template
python3 - "$template" <<'PY'
import os, sys
d = sys.argv[1]
os.makedirs(d + "/cur"); os.makedirs(d + "/new"); os.makedirs(d + "/tmp")
sizes = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256]
line = ("The quick brown fox jumps over the lazy dog 0123456789 " * 2)[:76] + "\n"
for i in range(1, 1001):
    kb = sizes[(i * 7) % len(sizes)]
    hdr = ("From: Bench <bench@example.org>\nTo: user@example.com\n"
           "Subject: benchmark message %d\nMessage-ID: <bench-%d@example.org>\n"
           "Date: Mon, 1 Jan 2024 00:00:00 +0000\n\n" % (i, i))
    body = line * max(1, (kb * 1024 - len(hdr)) // len(line))
    data = (hdr + body).encode()
    name = "%d.M%dP1.bench,S=%d:2,S" % (1700000000 + i, i, len(data))
    with open(os.path.join(d, "cur", name), "wb") as f:
        f.write(data)
PY

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1

prepare_world() { # $1 = server name
	local root=$work/$1 i home
	mkdir -p "$root/home" "$root/run"
	spread_subdirs "$root/home"
	: > "$root/users"
	for i in $(seq 1 "$users"); do
		home=$root/home/bench$i.$tok
		if [ "$i" -le "$retr_conns" ]; then
			mkdir -p "$home"
			cp -al "$template" "$home/Maildir"
		else
			mkdir -p "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
		fi
		echo "bench$i:{PLAIN}$password:$mail_uid:$mail_gid::$home::" >> "$root/users"
	done
	[ "$(id -u)" = 0 ] && chown -R "$mail_uid:$mail_gid" "$root/home"
	chmod 755 "$root" "$root/home"
	chmod 644 "$root/users"
}

write_config() { # $1 = server name, $2 = port
	local root=$work/$1
	config_common pop3 "$root" > "$root/server.conf"
	cat >> "$root/server.conf" <<CONF
# Every server runs with its own defaults (pop3_lock_session = no for
# both; Loft refuses a second session of a user without a lock file).
CONF
	case $1 in
	dovecot-*)
		mkdir -p "$root/state"
		cat >> "$root/server.conf" <<CONF
state_dir = $root/state
instance_name = loft-bench-$1
# Room for $idle logged-in clients: one pop3 process each in Dovecot.
default_process_limit = $(( idle + conns + 100 ))
default_client_limit = $(( (idle + conns) * 4 + 1000 ))
mail_max_userip_connections = 1000
CONF
		;;
	esac
	case $1 in
	dovecot-tuned)
		cat >> "$root/server.conf" <<CONF
service pop3-login {
$(config_listeners pop3 "$2")
  service_count = 0
  client_limit = $(( (idle + conns) * 2 + 100 ))
  process_min_avail = $ncpu
  vsz_limit = 1G
}
service pop3 {
  service_count = 0
  process_min_avail = $ncpu
}
CONF
		;;
	*)
		cat >> "$root/server.conf" <<CONF
service pop3-login {
$(config_listeners pop3 "$2")
}
CONF
		;;
	esac
}

declare -A logins retr mem
for s in $servers; do
	server_available "$s" || continue
	prepare_world "$s"
	port=$(free_port)
	write_config "$s" "$port"
	restart_server "$s" || continue
	echo "run-pop3: $s: logins ($conns connections, $secs s)" >&2
	out=$("$popbench" -p "$port" -m logins -c "$conns" -d "$secs" -n "$users" -u bench -w "$password")
	echo "  $out" >&2
	logins[$s]=$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' <<< "$out")

	echo "run-pop3: $s: RETR of 1,000 messages x $retr_conns, $rounds rounds" >&2
	out=$("$popbench" -p "$port" -m retr -c "$retr_conns" -n "$retr_conns" -R "$rounds" -u bench -w "$password")
	echo "  $out" >&2
	retr[$s]=$(sed -n 's/.*mbps=\([0-9.]*\).*/\1/p' <<< "$out")

	echo "run-pop3: $s: $idle idle logged-in connections" >&2
	read -r before _ <<< "$(pss_tree "$srv_pid")"
	coproc IDLE { "$popbench" -p "$port" -m idle -c "$idle" -n "$users" -u bench -w "$password"; }
	idle_pid=$IDLE_PID
	read -r ready count <&"${IDLE[0]}"
	read -r after _ <<< "$(pss_tree "$srv_pid")"
	eval "exec ${IDLE[1]}>&-"   # EOF on popbench's stdin: disconnect
	cat <&"${IDLE[0]}" >&2 || true
	wait "$idle_pid" || true
	if [ "$ready" = ready ] && [ "$count" -gt 0 ]; then
		mem[$s]=$(python3 -c "print('%.1f' % (($after - $before) / $count))")
		echo "  Pss before $before kB, after $after kB, $count connections" >&2
	fi
	stop_server "$s"
done

ratio() { # $1 / $2, or "-"
	python3 -c "import sys
a, b = sys.argv[1], sys.argv[2]
print('%.2f' % (float(a) / float(b)) if a and b and float(b) else '-')" "${1:-}" "${2:-}"
}

mkdir -p "$repo/bench/results"
result=$repo/bench/results/pop3-$(date +%Y%m%d-%H%M%S).txt
{
	echo "# POP3 benchmark $(date -R), $(nproc) CPUs, $(uname -r)"
	echo "# logins: $conns connections x $secs s; RETR: $retr_conns x 1,000 messages x $rounds rounds; idle: $idle"
	printf '%-26s %12s %14s %14s %11s %11s\n' metric loft dovecot-stock \
		dovecot-tuned loft/stock loft/tuned
	for m in logins retr mem; do
		declare -n v=$m
		case $m in
		logins) label="POP3 logins/s (higher=better)" ;;
		retr) label="RETR MB/s (higher=better)" ;;
		mem) label="kB per idle conn (lower=better)" ;;
		esac
		printf '%-26s %12s %14s %14s %11s %11s\n' "${label%% (*}" \
			"${v[loft]:--}" "${v[dovecot-stock]:--}" "${v[dovecot-tuned]:--}" \
			"$(ratio "${v[loft]:-}" "${v[dovecot-stock]:-}")" \
			"$(ratio "${v[loft]:-}" "${v[dovecot-tuned]:-}")"
		unset -n v
	done
} | tee "$result"
echo "run-pop3: saved $result" >&2
