# bench/lib.sh - shell functions shared by run-pop3.sh and run-imap.sh:
# the work directory and its clean-up, who is measured when not root,
# ports, the server's Pss, the part of the config both servers read, and
# starting and stopping Loft or Dovecot. Sourced, not run; the caller sets
# bench_name (for messages), build and keep first. No measuring here.

# Drops the Dovecot servers from $servers unless root (Dovecot drops
# privileges itself); sets mail_uid and mail_gid for the users file.
bench_pick_servers() {
	if [ "$(id -u)" != 0 ]; then
		echo "$bench_name: not root: measuring Loft only (Dovecot needs root)" >&2
		servers=$(echo "$servers" | tr ' ' '\n' | grep -v '^dovecot' | tr '\n' ' ')
		mail_uid=$(id -u); mail_gid=$(id -g)
	else
		mail_uid=$(id -u nobody); mail_gid=$(id -g nobody)
	fi
}

# Creates $work from the template $1 (mktemp) and removes it on exit
# (unless keep=yes), stopping any server still running.
bench_make_work() {
	work=$(mktemp -d "$1")
	chmod 755 "$work"
	trap bench_cleanup EXIT
}

bench_cleanup() {
	for pidfile in "$work"/*.pid; do
		[ -f "$pidfile" ] || continue
		kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
	done
	if [ "$keep" = no ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}

# Marks directory $1 so that ext4 spreads the directories made in it over
# the file system's block groups (chattr +T, as for directories in the
# root), where they would otherwise land in the group of $1's parent. On
# ext4 without a journal a new inode is searched for from the start of
# its directory's group, walking past every inode freed there in the last
# minutes; earlier runs and tests free thousands of them in /tmp's
# group, which made the first APPEND rounds of a run spend most of their
# CPU time in that walk. ext4 picks the group from a hash of the new
# directory's name, so the names made in $1 must differ from run to run
# (the callers add the work directory's random suffix to the homes'
# names), or each run would land where the last one just freed its
# files. Every server's users get the same treatment.
spread_subdirs() {
	chattr +T "$1" 2>/dev/null || true
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Readiness polling with a deadline; returns non-zero if the port never opens.
wait_port() {
	python3 - "$1" "$2" <<'PY'
import socket, sys, time, os
port, pid = int(sys.argv[1]), int(sys.argv[2])
end = time.monotonic() + 30
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(1)
        time.sleep(0.05)
sys.exit(1)
PY
}

# Sum of Pss in kB over a process and all its descendants, and their count.
pss_tree() {
	python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
children = {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open("/proc/%s/stat" % d) as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        continue
    children.setdefault(ppid, []).append(int(d))
total, n, todo = 0, 0, [root]
while todo:
    pid = todo.pop()
    todo.extend(children.get(pid, []))
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    n += 1
    except OSError:
        pass
print(total, n)
PY
}

# The settings every server gets: $1 = protocol, $2 = the server's root.
# Plain passwords in $2/users, Maildir in each home, logs in $2.
config_common() {
	cat <<CONF
protocols = $1
listen = 127.0.0.1
base_dir = $2/run
log_path = $2/server.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $2/users
}
userdb {
  driver = passwd-file
  args = $2/users
}
mail_location = maildir:~/Maildir
CONF
}

# The listeners inside "service <proto>-login {": $1 = protocol, $2 = port
# of the plain one; the implicit-TLS one is off.
config_listeners() {
	cat <<CONF
  inet_listener $1 {
    port = $2
  }
  inet_listener ${1}s {
    port = 0
  }
CONF
}

# True when server $1 can run here (Loft built, Dovecot installed); says
# why not. Exits on an unknown name.
server_available() {
	case $1 in
	loft)
		if [ ! -x "$build/src/loft" ]; then
			echo "$bench_name: $build/src/loft not built; skipping loft" >&2
			return 1
		fi ;;
	dovecot-stock|dovecot-tuned)
		[ -x /usr/sbin/dovecot ] || { echo "$bench_name: no /usr/sbin/dovecot" >&2; return 1; } ;;
	*) echo "$bench_name: unknown server $1" >&2; exit 2 ;;
	esac
}

start_server() { # $1 = server name; sets srv_pid
	local root=$work/$1
	case $1 in
	loft) "$build/src/loft" -F -c "$root/server.conf" > "$root/stderr" 2>&1 & ;;
	dovecot-*) /usr/sbin/dovecot -F -c "$root/server.conf" > "$root/stderr" 2>&1 & ;;
	esac
	srv_pid=$!
	echo "$srv_pid" > "$work/$1.pid"
}

stop_server() { # $1 = server name
	local pid
	pid=$(cat "$work/$1.pid")
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$work/$1.pid"
}

# Starts the server and waits for $port; on failure shows its log.
restart_server() { # $1 = server name
	start_server "$1"
	if ! wait_port "$port" "$srv_pid"; then
		echo "$bench_name: $1 did not start; log:" >&2
		cat "$work/$1/stderr" "$work/$1/server.log" >&2 2>/dev/null || true
		stop_server "$1"
		return 1
	fi
}
