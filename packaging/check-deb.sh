#!/usr/bin/env bash
# CI: install the built package on this machine as a sysadmin would, use the installed files, then remove and
# purge it, checking what each step must keep or delete. Needs root; refuses to touch an existing installation.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
debs=(dist/vigicommerce_*_"$(dpkg --print-architecture)".deb)
[ "${#debs[@]}" -eq 1 ] || { echo "expected one package in dist/, found ${#debs[@]}: run make deb" >&2; exit 1; }
DEB=${debs[0]}
if dpkg-query -W -f='${Status}' vigicommerce 2>/dev/null | grep -q "installed"; then
    echo "vigicommerce is already installed on this machine: not touching it" >&2
    exit 1
fi
trap 'dpkg --purge vigicommerce >/dev/null 2>&1 || true' EXIT
passed=0
check() { echo "  ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAILED: $*" >&2; exit 1; }
as_service() { runuser -u vigicommerce -- "$@"; }

echo "== dpkg -i $DEB"
dpkg -i "$DEB"
[ "$(command -v vigicommerce)" = /usr/bin/vigicommerce ] || fail "vigicommerce is not /usr/bin/vigicommerce on the PATH"
check "/usr/bin/vigicommerce on the PATH"
id -nG vigicommerce | grep -qw dialout || fail "the vigicommerce user is not in dialout"
check "user vigicommerce, in dialout"
[ "$(stat -c '%U:%G %a' /var/lib/vigicommerce)" = "vigicommerce:vigicommerce 750" ] || fail "/var/lib/vigicommerce"
[ "$(stat -c '%U:%G %a' /var/backups/vigicommerce)" = "vigicommerce:vigicommerce 750" ] || fail "/var/backups/vigicommerce"
[ "$(stat -c '%U:%G %a' /etc/vigicommerce/gateway.toml)" = "root:vigicommerce 640" ] || fail "gateway.toml mode"
check "directories and configuration modes"
if /opt/vigicommerce/bin/python -c 'import pytest' 2>/dev/null; then fail "test tools installed on the station"; fi
check "no test tools in /opt/vigicommerce"
for unit in vigicommerce-gateway.service vigicommerce-backup.timer vigicommerce-simulator.service; do
    [ -z "$(find /etc/systemd/system -name "$unit" 2>/dev/null)" ] || fail "$unit enabled at installation"
done
check "nothing enabled"
[ -f /usr/share/doc/vigicommerce/README.md ] || fail "README not in /usr/share/doc/vigicommerce"
grep -q '^Documentation=file:///usr/share/doc/vigicommerce/' /lib/systemd/system/vigicommerce-gateway.service
check "documentation installed where the unit points"

echo "== the installed command, as the service user"
as_service vigicommerce config check --config /etc/vigicommerce/gateway.toml
as_service vigicommerce db upgrade --config /etc/vigicommerce/gateway.toml
zones=$(sqlite3 /var/lib/vigicommerce/gateway.db "SELECT count(*) FROM registry_zone")
[ "$zones" -gt 0 ] || fail "db upgrade loaded no zones from /usr/share/vigicommerce/data"
check "schema created, $zones zones loaded"
as_service vigicommerce members import /usr/share/vigicommerce/data/members-sample.csv --operator ci >/dev/null
as_service vigicommerce db backup /var/backups/vigicommerce --config /etc/vigicommerce/gateway.toml
[ "$(find /var/backups/vigicommerce -name 'vigicommerce-*.db' | wc -l)" -eq 1 ] || fail "no backup written"
check "backup written by the installed command"

echo "== the installed daemon on the installed simulator: a test alert reaches a handset"
rehearsal=$(mktemp -d)
chown vigicommerce:vigicommerce "$rehearsal"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$rehearsal/gateway.toml" <<TOML
operator_numbers = ["+33639980001"]
[database]
url = "sqlite:////var/lib/vigicommerce/gateway.db"
[http]
port = $port
[[modems]]
id = "sim0"
device = "$rehearsal/modem0"
TOML
as_service /opt/vigicommerce/bin/vigicommerce-sim --modems 1 --fast --state-dir "$rehearsal" \
    --submit-log "$rehearsal/submits.jsonl" >"$rehearsal/sim.log" 2>&1 &
sim=$!
as_service vigicommerce run --config "$rehearsal/gateway.toml" >"$rehearsal/daemon.log" 2>&1 &
gateway=$!
stop_rehearsal() { kill "$gateway" "$sim" 2>/dev/null || true; wait "$gateway" "$sim" 2>/dev/null || true; }
for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { stop_rehearsal; cat "$rehearsal/daemon.log"; fail "/healthz"; }
check "the installed daemon answers /healthz with its modem up"
as_service vigicommerce alert send --status test --fr "Essai d'installation" --yes --config "$rehearsal/gateway.toml"
for _ in $(seq 150); do
    grep -q '+33639980001' "$rehearsal/submits.jsonl" 2>/dev/null && break
    sleep 0.2
done
grep -q '+33639980001' "$rehearsal/submits.jsonl" || { stop_rehearsal; cat "$rehearsal/daemon.log"; fail "no submit"; }
check "test alert submitted to the simulated modem"
if as_service vigicommerce db restore /var/backups/vigicommerce/vigicommerce-*.db --yes; then
    stop_rehearsal; fail "restore accepted while the daemon runs"
fi
check "restore refused while the daemon runs"
stop_rehearsal
rm -rf "$rehearsal"

echo "== units"
systemd-analyze verify /lib/systemd/system/vigicommerce-gateway.service \
    /lib/systemd/system/vigicommerce-backup.service /lib/systemd/system/vigicommerce-backup.timer \
    /lib/systemd/system/vigicommerce-simulator.service
check "systemd-analyze verify"
security=$(systemd-analyze security --offline=true /lib/systemd/system/vigicommerce-gateway.service)
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$security")
[ -n "$score" ] || fail "no exposure level in: $security"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "systemd-analyze security: $score > 2.0"
check "systemd-analyze security on the installed unit: $score"

echo "== dpkg -r: program gone, data and configuration kept"
dpkg -r vigicommerce
[ ! -e /usr/bin/vigicommerce ] && [ ! -e /opt/vigicommerce ] || fail "program left after remove"
[ -f /var/lib/vigicommerce/gateway.db ] || fail "database deleted by remove"
[ -f /etc/vigicommerce/gateway.toml ] || fail "configuration deleted by remove"
check "remove keeps /var/lib/vigicommerce and /etc/vigicommerce"

echo "== dpkg --purge: data and configuration gone, backups kept"
dpkg --purge vigicommerce
[ ! -e /var/lib/vigicommerce ] && [ ! -e /etc/vigicommerce ] || fail "data or configuration left after purge"
[ -d /var/backups/vigicommerce ] || fail "purge deleted the backups"
rm -rf /var/backups/vigicommerce  # this machine is CI's, not a station: leave it as it was
check "purge deletes /var/lib/vigicommerce and /etc/vigicommerce, keeps the backups"
echo "package: $passed passed, 0 failed"
