#!/bin/bash
# run-imap.sh - IMAP benchmark: Loft against Debian's Dovecot.
#
# Builds bench/imapbench, generates two Maildirs once (written directly,
# not appended; cached under /var/tmp between runs): BIG messages (default
# 100,000, 1-6 KB) and MID messages (default 10,000, 1-128 KB, with a
# subject word in 1% and a body word in 1% of them). Then for each server
# in turn - Loft, Dovecot in its stock configuration, Dovecot tuned for
# performance (login and imap processes reused) - it gives the server its
# own hard-linked copy of the mail, starts it on loopback and measures
#   - SELECT of the BIG INBOX: the first one (no index, no dovecot-uidlist)
#     and the median of the next ROUNDS-1 (each a new session)
#   - FETCH 1:* (UID FLAGS RFC822.SIZE) on the BIG INBOX: first, median of the rest
#   - SEARCH SUBJECT and SEARCH BODY over the MID INBOX: first, median of
#     the rest; then FIRST_ROUNDS-1 more first searches, each on a
#     restarted server without its cache files: the median first search.
#     Before each, the MID files are put in the same page-cache
#     state for every server (-C warm: read whole, the default; -C cold:
#     dropped with POSIX_FADV_DONTNEED), since the servers share them
#   - memory per IDLE connection: IDLE users LOGIN, SELECT INBOX and IDLE;
#     Pss (/proc/PID/smaps_rollup) summed over the server's processes
#     before and after, divided by IDLE; then the same with MAX_IDLE
#     connections, reporting how many were held
# and stops it. Servers run one at a time so they do not share CPU or
# split shared pages between them (which would lower each one's Pss).
# Then, with every server running, side by side:
#   - FETCH BODY.PEEK[] of every MID message, FETCH_CONNS users at once,
#     FETCH_PASSES passes: MB/s, FETCH_ROUNDS rounds
#   - APPEND of a 4 KB message, APPEND_CONNS users for SECS s: messages/s,
#     APPEND_ROUNDS rounds
# where each round takes the servers in turn (in a rotated order each
# round), after one unmeasured warm-up each, and each server's figure is
# its median round. Throughput moves over seconds on a virtual machine
# (the disk's above all); rounds side by side keep that drift out of the
# ratio, where one measurement per server taken minutes apart did not.
# Prints a table with Loft / better-Dovecot ratios and saves it in
# bench/results/imap-DATE.txt.
#
#   bench/run-imap.sh [-r ROUNDS] [-c FETCH_CONNS] [-R FETCH_ROUNDS]
#                     [-P FETCH_PASSES] [-F FIRST_ROUNDS]
#                     [-a APPEND_CONNS] [-d SECS]
#                     [-A APPEND_ROUNDS]
#                     [-i IDLE] [-I MAX_IDLE]
#                     [-M BIG] [-m MID] [-t "modes"] [-C warm|cold]
#                     [-s "loft dovecot-stock dovecot-tuned"] [-k]
#   -t limits the measurements (default: "select fetch-meta search-header
#   search-body fetch-body append idle"); -I 0 skips the MAX_IDLE test;
#   -k keeps the work directory. LOFT_BUILD_DIR selects the Loft build.
# Dovecot runs as root (it drops privileges itself); without root only
# Loft is measured.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${LOFT_BUILD_DIR:-$repo/build}
bench_name=run-imap
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
rounds=5
fetch_conns=2
fetch_rounds=5
fetch_passes=2
first_rounds=5
append_conns=4
secs=2
append_rounds=5
idle=2000
max_idle=5000
big=100000
mid=10000
modes="select fetch-meta search-header search-body fetch-body append idle"
servers="loft dovecot-stock dovecot-tuned"
keep=no
page_cache=warm
while getopts "r:c:R:P:F:a:d:A:i:I:M:m:t:s:C:k" o; do
	case $o in
	r) rounds=$OPTARG ;;
	c) fetch_conns=$OPTARG ;;
	R) fetch_rounds=$OPTARG ;;
	P) fetch_passes=$OPTARG ;;
	F) first_rounds=$OPTARG ;;
	a) append_conns=$OPTARG ;;
	d) secs=$OPTARG ;;
	A) append_rounds=$OPTARG ;;
	i) idle=$OPTARG ;;
	I) max_idle=$OPTARG ;;
	M) big=$OPTARG ;;
	m) mid=$OPTARG ;;
	t) modes=$OPTARG ;;
	s) servers=$OPTARG ;;
	C) page_cache=$OPTARG ;;
	k) keep=yes ;;
	*) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

case $page_cache in
warm|cold) ;;
*) echo "run-imap: -C takes warm or cold" >&2; exit 2 ;;
esac
ncpu=$(nproc)
users=$(( idle > max_idle ? idle : max_idle ))
users=$(( users > append_conns ? users : append_conns ))
password=bench
subject_key='SUBJECT "quarterly"'
body_key='BODY "zanzibar"'

make -s -C "$repo/bench" >/dev/null
imapbench=$repo/bench/results/imapbench
# every IDLE connection is a socket here and one or two in the server
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

bench_pick_servers

has_mode() { [[ " $modes " == *" $1 "* ]]; }

bench_make_work /tmp/loft-imapbench.XXXXXX
tok=${work##*.} # in the homes' names: see spread_subdirs

# The Maildirs, generated once per size and reused: message files in cur/
# named as Dovecot names them (,S=size,W=size with CRLF), LF line ends.
cache=/var/tmp/loft-imapbench-v2-$big-$mid
if [ ! -f "$cache/done" ]; then
	echo "run-imap: generating $big + $mid messages in $cache" >&2
	rm -rf "$cache"
	python3 - "$cache" "$big" "$mid" <<'PY'
import os, random, sys
root, nbig, nmid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
senders = ["Alice Archer <alice@example.org>", "Bob Baker <bob@example.net>",
           "Carol Cooper <carol@example.com>", "Dave Dyer <dave@example.org>",
           "Erin Evans <erin@lists.example.net>", "Frank Fisher <frank@example.com>"]
words = ("meeting report budget travel lunch release notes review draft "
         "invoice schedule update weekly status project plan").split()
line = ("The quick brown fox jumps over the lazy dog 0123456789 " * 2)[:76] + "\n"

def message(i, kb, subj_word, body_word):
    subject = "%s %s %d" % (words[i % len(words)], words[(i * 7) % len(words)], i)
    if subj_word:
        subject = "quarterly " + subject
    hdr = ("Return-Path: <bounce@example.org>\n"
           "From: %s\nTo: User <user@example.com>\n"
           "Subject: %s\nMessage-ID: <bench-%d@example.org>\n"
           "Date: Mon, %d Jan 2024 %02d:%02d:00 +0000\n"
           "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
           % (senders[i % len(senders)], subject, i, 1 + i % 28, i % 24, i % 60))
    n = max(1, (kb * 1024 - len(hdr)) // len(line))
    body = [line] * n
    if body_word:
        body[n // 2] = "somewhere in the middle: zanzibar\n"
    return (hdr + "".join(body)).encode()

def maildir(path, count, sizes, mark):
    rng = random.Random(count)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub))
    for i in range(1, count + 1):
        data = message(i, rng.choice(sizes), mark and i % 100 == 7,
                       mark and i % 100 == 31)
        flags = "S" if i % 10 else ""
        name = "%d.M%dP1.bench,S=%d,W=%d:2,%s" % (
            1700000000 + i, i, len(data), len(data) + data.count(b"\n"), flags)
        with open(os.path.join(path, "cur", name), "wb") as f:
            f.write(data)

maildir(os.path.join(root, "big"), nbig, [1, 1, 2, 2, 3, 4, 6], False)
maildir(os.path.join(root, "mid"), nmid,
        [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128], True)
open(os.path.join(root, "done"), "w").close()
PY
fi

prepare_world() { # $1 = server name
	local root=$work/$1 i
	mkdir -p "$root/home" "$root/run"
	spread_subdirs "$root/home"
	echo "run-imap: $1: copying the Maildirs (hard links)" >&2
	mkdir -p "$root/home/big.$tok" && cp -al "$cache/big" "$root/home/big.$tok/Maildir"
	: > "$root/users"
	echo "big:{PLAIN}$password:$mail_uid:$mail_gid::$root/home/big.$tok::" >> "$root/users"
	for i in $(seq 1 "$fetch_conns"); do
		mkdir -p "$root/home/mid$i.$tok"
		cp -al "$cache/mid" "$root/home/mid$i.$tok/Maildir"
		echo "mid$i:{PLAIN}$password:$mail_uid:$mail_gid::$root/home/mid$i.$tok::" >> "$root/users"
	done
	python3 - "$root" "$users" "$password" "$mail_uid" "$mail_gid" "$tok" <<'PY'
import os, sys
root, n, pw, uid, gid, tok = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
with open(os.path.join(root, "users"), "a") as f:
    for i in range(1, n + 1):
        home = os.path.join(root, "home", "bench%d.%s" % (i, tok))
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(home, "Maildir", sub))
        f.write("bench%d:{PLAIN}%s:%s:%s::%s::\n" % (i, pw, uid, gid, home))
PY
	[ "$(id -u)" = 0 ] && chown -R "$mail_uid:$mail_gid" "$root/home"
	chmod 755 "$root" "$root/home"
	chmod 644 "$root/users"
}

write_config() { # $1 = server name, $2 = port
	local root=$work/$1
	local conns=$(( users + 100 ))
	config_common imap "$root" > "$root/server.conf"
	cat >> "$root/server.conf" <<CONF
mail_max_userip_connections = 1000
CONF
	case $1 in
	dovecot-*)
		mkdir -p "$root/state"
		# Room for MAX_IDLE logged-in clients: in Dovecot one imap
		# process each, and a login process each in the stock mode.
		cat >> "$root/server.conf" <<CONF
state_dir = $root/state
instance_name = loft-imapbench-$1
default_process_limit = $conns
default_client_limit = $(( conns * 4 + 1000 ))
default_vsz_limit = 1G
CONF
		;;
	esac
	case $1 in
	dovecot-tuned)
		cat >> "$root/server.conf" <<CONF
service imap-login {
$(config_listeners imap "$2")
  service_count = 0
  client_limit = $(( conns * 2 ))
  process_min_avail = $ncpu
  vsz_limit = 1G
}
service imap {
  service_count = 0
  process_min_avail = $ncpu
  process_limit = $conns
  client_limit = 1
}
CONF
		;;
	dovecot-stock)
		cat >> "$root/server.conf" <<CONF
service imap-login {
$(config_listeners imap "$2")
}
service imap {
  process_limit = $conns
}
CONF
		;;
	*)
		cat >> "$root/server.conf" <<CONF
service imap-login {
$(config_listeners imap "$2")
}
CONF
		;;
	esac
}

log_errors() { # $1 = server name
	local n
	n=$(grep -ciE 'error|fatal|panic' "$work/$1/server.log" 2>/dev/null) || true
	[ "${n:-0}" = 0 ] && return
	echo "  $1: ${n} log lines with error/fatal/panic, the first:" >&2
	grep -iE 'error|fatal|panic' "$work/$1/server.log" | head -n 3 |
		sed 's/^/    /' >&2
}

field() { # $1 = key, $2 = imapbench output line
	sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<< " $2"
}

# Puts the files of Maildir $1 in the page-cache state of -C. The servers'
# copies are hard links to the same files, so without this the first
# SEARCH of a server would find them as the previous server's FETCH or
# SEARCH left them (read whole), and the first server as whatever ran
# before the benchmark did.
set_page_cache() { # $1 = Maildir
	if [ "$page_cache" = warm ]; then
		find "$1/cur" "$1/new" -type f -exec cat {} + > /dev/null
		return
	fi
	python3 - "$1" <<'PY'
import os, sys
for sub in ("cur", "new"):
    d = os.path.join(sys.argv[1], sub)
    for name in os.listdir(d):
        fd = os.open(os.path.join(d, name), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
}

# The block device holding directory $1: "writes flushes" completed so
# far (/sys/block/DEV/stat fields 5 and 16), or nothing when unknown.
disk_stat() {
	local dev stat
	dev=$(stat -c '%d' "$1")
	stat=/sys/dev/block/$(( dev >> 8 )):$(( dev & 255 ))/stat
	[ -r "$stat" ] || return 0
	awk '{ print $5, $16 }' "$stat"
}

# Shows the device's writes and flushes per message between two
# disk_stat readings: what the disk did for each APPEND (and anything
# else writing to it meanwhile, writeback of earlier rounds included).
disk_per_msg() { # before after messages
	[ -n "$1" ] && [ -n "$2" ] && [ "${3:-0}" -gt 0 ] 2>/dev/null || return 0
	python3 -c "import sys
b, a, n = sys.argv[1].split(), sys.argv[2].split(), int(sys.argv[3])
print('  disk: %.2f writes, %.2f flushes per message' %
      ((int(a[0]) - int(b[0])) / n, (int(a[1]) - int(b[1])) / n))" \
		"$1" "$2" "$3" >&2
}

# A SEARCH test on the MID INBOX of server $1 (imapbench mode $2, query
# $3): ROUNDS searches in one session (out = imapbench's line), then
# FIRST_ROUNDS-1 more first searches, each on a restarted server whose
# cache files of the mailbox were removed (Loft's loft.cache*, Dovecot's
# dovecot.index.cache); first_med = the median first search. A first
# search reads every file, so the page cache's state (which this
# machine's proactive reclaim changes over seconds) and the new
# process's warm-up move it by half from one run to the next.
search_test() { # server mode query
	local maildir=$work/$1/home/mid1.$tok/Maildir firsts r one
	set_page_cache "$maildir"
	out=$(bench -m "$2" -U mid1 -r "$rounds" -q "$3" -t 600)
	firsts=$(field first_ms "$out")
	for r in $(seq 2 "$first_rounds"); do
		stop_server "$1"
		rm -f "$maildir/loft.cache" "$maildir/loft.cache.idx" \
			"$maildir/dovecot.index.cache"
		restart_server "$1" || return 0
		set_page_cache "$maildir"
		one=$(bench -m "$2" -U mid1 -r 1 -q "$3" -t 600)
		firsts="$firsts $(field first_ms "$one")"
	done
	first_med=$(python3 -c "import statistics, sys
v = [float(x) for x in sys.argv[1:] if x]
print('%.2f' % statistics.median(v) if v else '')" $firsts)
	echo "  first searches: $firsts ms; median $first_med" >&2
}

# Runs imapbench; prints its result line on stdout, everything on stderr.
bench() {
	local out rc=0
	out=$("$imapbench" -p "$port" -w "$password" "$@") || rc=$?
	echo "  $out" >&2
	[ $rc = 0 ] || echo "  (imapbench exit $rc)" >&2
	[ $rc = 0 ] && echo "$out"
	return 0
}

# Holds N IDLE connections, samples Pss; sets idle_held and idle_kb.
idle_test() { # $1 = connections
	local before after ready count n
	idle_held=""; idle_kb=""
	read -r before n <<< "$(pss_tree "$srv_pid")"
	coproc IDLE { "$imapbench" -p "$port" -w "$password" -m idle -c "$1" \
		-u bench -n "$users" -P 100 -t 1200; }
	local idle_pid=$IDLE_PID
	read -r ready count <&"${IDLE[0]}" || true
	read -r after n <<< "$(pss_tree "$srv_pid")"
	eval "exec ${IDLE[1]}>&-"   # EOF on imapbench's stdin: release
	cat <&"${IDLE[0]}" >&2 || true
	wait "$idle_pid" || true
	if [ "${ready:-}" = ready ] && [ "${count:-0}" -gt 0 ]; then
		idle_held=$count
		idle_kb=$(python3 -c "print('%.1f' % (($after - $before) / $count))")
		echo "  Pss before $before kB, after $after kB ($n processes), $count connections held" >&2
	fi
}

declare -A server_port sel_first sel_idx fmeta_first fmeta body_mbps shdr_first shdr \
	sbody_first sbody append_rate mem held held_max mem_max
for s in $servers; do
	server_available "$s" || continue
	prepare_world "$s"
	port=$(free_port)
	server_port[$s]=$port
	write_config "$s" "$port"
	restart_server "$s" || continue
	if has_mode select; then
		echo "run-imap: $s: SELECT of $big messages, $rounds sessions" >&2
		out=$(bench -m select -U big -r "$rounds" -t 600)
		sel_first[$s]=$(field first_ms "$out")
		sel_idx[$s]=$(field med_ms "$out")
	fi
	if has_mode fetch-meta; then
		echo "run-imap: $s: FETCH 1:* (UID FLAGS RFC822.SIZE) x $rounds" >&2
		out=$(bench -m fetch-meta -U big -r "$rounds" -t 600)
		fmeta_first[$s]=$(field first_ms "$out")
		fmeta[$s]=$(field med_ms "$out")
	fi
	if has_mode search-header; then
		echo "run-imap: $s: SEARCH $subject_key over $mid messages x $rounds ($page_cache)" >&2
		search_test "$s" search-header "$subject_key"
		shdr_first[$s]=$first_med
		shdr[$s]=$(field med_ms "$out")
	fi
	if has_mode search-body; then
		echo "run-imap: $s: SEARCH $body_key over $mid messages x $rounds ($page_cache)" >&2
		search_test "$s" search-body "$body_key"
		sbody_first[$s]=$first_med
		sbody[$s]=$(field med_ms "$out")
	fi
	log_errors "$s"
	# The memory tests each start from a fresh server: processes kept
	# from earlier tests (reused ones in the tuned Dovecot) and their
	# caches would otherwise be counted in the baseline.
	if has_mode idle; then
		for n in "$idle" "$max_idle"; do
			[ "$n" -gt 0 ] || continue
			stop_server "$s"
			restart_server "$s" || break
			echo "run-imap: $s: $n IDLE connections" >&2
			idle_test "$n"
			if [ "$n" = "$idle" ]; then
				mem[$s]=$idle_kb; held[$s]=$idle_held
			else
				mem_max[$s]=$idle_kb; held_max[$s]=$idle_held
			fi
			log_errors "$s"
		done
	fi
	[ -f "$work/$s.pid" ] && stop_server "$s"
done

# Side by side: with every server running, ROUNDS rounds that take the
# servers in turn, in a rotated order each round, after one unmeasured
# warm-up each; sets the array named by $1 to each server's median round
# of the imapbench field $2 and shows every round. The rest of the
# arguments are imapbench's; "disk" as $3 also counts the disk's writes
# and flushes per message.
side_by_side() { # result-array field [disk] rounds label imapbench-args...
	local -n result=$1
	local field=$2 disk=no rounds label r i s n out before after rate
	shift 2
	if [ "$1" = disk ]; then disk=yes; shift; fi
	rounds=$1 label=$2
	shift 2
	local -A vals msgs diskio
	n=${#running[@]}
	for s in "${running[@]}"; do
		port=${server_port[$s]}
		bench "$@" > /dev/null
	done
	for r in $(seq 1 "$rounds"); do
		for i in $(seq 0 $(( n - 1 ))); do
			s=${running[$(( (i + r - 1) % n ))]}
			port=${server_port[$s]}
			echo "run-imap: $s: $label (round $r of $rounds)" >&2
			before=$(disk_stat "$work")
			out=$(bench "$@")
			after=$(disk_stat "$work")
			rate=$(field "$field" "$out")
			[ -n "$rate" ] || continue
			vals[$s]="${vals[$s]:-} $rate"
			msgs[$s]=$(( ${msgs[$s]:-0} + $(field messages "$out") ))
			if [ -n "$before" ] && [ -n "$after" ]; then
				read -r bw bf <<< "$before"; read -r aw af <<< "$after"
				read -r w f <<< "${diskio[$s]:-0 0}"
				diskio[$s]="$(( w + aw - bw )) $(( f + af - bf ))"
			fi
		done
	done
	for s in "${running[@]}"; do
		[ -n "${vals[$s]:-}" ] || continue
		result[$s]=$(python3 -c "import statistics, sys
print('%.1f' % statistics.median(map(float, sys.argv[1:])))" ${vals[$s]})
		echo "run-imap: $s: $label: rounds${vals[$s]}; median ${result[$s]}" >&2
		if [ $disk = yes ] && [ -n "${diskio[$s]:-}" ]; then
			disk_per_msg "0 0" "${diskio[$s]}" "${msgs[$s]}"
		fi
	done
}

# FETCH BODY[] and APPEND: side by side (see the top of this file).
if has_mode fetch-body || has_mode append; then
	running=()
	for s in $servers; do
		[ -n "${server_port[$s]:-}" ] || continue
		port=${server_port[$s]}
		restart_server "$s" && running+=("$s")
	done
	# the setup's writes (the hard-linked copies) are not any server's
	sync
	if has_mode fetch-body; then
		side_by_side body_mbps mbps "$fetch_rounds" \
			"FETCH BODY.PEEK[] of $mid messages x $fetch_conns users, $fetch_passes passes" \
			-m fetch-body -u mid -n "$fetch_conns" -c "$fetch_conns" \
			-r "$fetch_passes" -t 600
	fi
	if has_mode append; then
		side_by_side append_rate rate disk "$append_rounds" \
			"APPEND, $append_conns users, $secs s" \
			-m append -u bench -n "$append_conns" -c "$append_conns" \
			-d "$secs" -t 600
	fi
	for s in "${running[@]}"; do
		log_errors "$s"
		stop_server "$s"
	done
fi

# ratio LOFT STOCK TUNED DIRECTION: Loft / the better Dovecot figure
# (the higher for DIRECTION=up, the lower for DIRECTION=down).
ratio() {
	python3 -c "import sys
l, a, b, d = sys.argv[1:]
def f(x):
    try: return float(x)
    except ValueError: return None
l, vals = f(l), [v for v in (f(a), f(b)) if v]
if l is None or not vals: print('-'); sys.exit()
best = max(vals) if d == 'up' else min(vals)
print('%.3g' % (l / best))" "${1:-}" "${2:-}" "${3:-}" "$4"
}

mkdir -p "$repo/bench/results"
result=$repo/bench/results/imap-$(date +%Y%m%d-%H%M%S).txt
{
	echo "# IMAP benchmark $(date -R), $(nproc) CPUs, $(uname -r)"
	echo "# page cache before SEARCH: $page_cache"
	echo "# BIG=$big MID=$mid rounds=$rounds fetch=$fetch_conns users x $fetch_passes passes x $fetch_rounds append=$append_conns x ${secs}s x $append_rounds idle=$idle max_idle=$max_idle"
	printf '%-34s %10s %14s %14s %10s\n' metric loft dovecot-stock \
		dovecot-tuned loft/best
	row() { # label array direction
		local -n v=$2
		printf '%-34s %10s %14s %14s %10s\n' "$1" \
			"${v[loft]:--}" "${v[dovecot-stock]:--}" "${v[dovecot-tuned]:--}" \
			"$(ratio "${v[loft]:-}" "${v[dovecot-stock]:-}" "${v[dovecot-tuned]:-}" "$3")"
	}
	row "SELECT first ms (lower=better)" sel_first down
	row "SELECT indexed ms (lower=better)" sel_idx down
	row "FETCH meta first ms (lower)" fmeta_first down
	row "FETCH meta ms (lower=better)" fmeta down
	row "FETCH BODY[] MB/s (higher=better)" body_mbps up
	row "SEARCH SUBJECT first ms (lower)" shdr_first down
	row "SEARCH SUBJECT ms (lower=better)" shdr down
	row "SEARCH BODY first ms (lower)" sbody_first down
	row "SEARCH BODY ms (lower=better)" sbody down
	row "APPEND msgs/s (higher=better)" append_rate up
	row "kB per IDLE conn @$idle (lower)" mem down
	row "IDLE held of $idle" held up
	if [ "$max_idle" -gt 0 ]; then
		row "kB per IDLE conn @$max_idle (lower)" mem_max down
		row "IDLE held of $max_idle" held_max up
	fi
} | tee "$result"
echo "run-imap: saved $result" >&2
