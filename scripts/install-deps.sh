#!/bin/sh
# Installs every Debian package that building, running and testing Loft need.
# Safe to run repeatedly: it only calls apt-get when something is missing.
set -eu

PACKAGES="
build-essential meson ninja-build pkg-config clang llvm libclang-rt-14-dev
libssl-dev libcrypt-dev libargon2-dev libcmocka-dev zlib1g-dev
libpam0g-dev libpam-modules passwd libunistring-dev
openssl python3 python3-pytest curl fetchmail isync mutt procps iproute2
dovecot-core dovecot-pop3d dovecot-imapd
postfix swaks
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi

echo "install-deps: installing$missing"
# Servers installed only as test peers must not start system-wide instances.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	created_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix is a test peer only: no system mail configuration.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
[ "$created_policy" = 1 ] && rm -f "$policy"
exit 0
