#!/usr/bin/env bash
# make deb: dist/vigicommerce_<version>_<arch>.deb, built with Debian's own tools only (python3-venv, dpkg-deb).
#
# The package carries a virtualenv in /opt/vigicommerce made from requirements/runtime.txt (pinned and hashed:
# two stations installed a month apart run the same code) and the project's wheel, built here without
# dependencies. The venv is built in a staging directory and relocated, as dh-virtualenv does: shebangs and
# activate scripts are rewritten to /opt/vigicommerce, bytecode is left out and compiled by postinst.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=/usr/bin/python3  # Debian's interpreter, the one the stations have (not a pyenv or /usr/local build)
PREFIX=/opt/vigicommerce
VERSION=$($PY -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(dpkg --print-architecture)
PYVER=$($PY -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
BUILD=$ROOT/build/deb
STAGE=$BUILD/root
OUT=$ROOT/dist/vigicommerce_${VERSION}_${ARCH}.deb

for tool in dpkg-deb dpkg; do command -v $tool >/dev/null || { echo "$tool missing (apt-get install dpkg-dev)" >&2; exit 1; }; done
$PY -c 'import ensurepip' 2>/dev/null || { echo "python3-venv missing: apt-get install python3-venv" >&2; exit 1; }

rm -rf "$BUILD"
mkdir -p "$STAGE" "$ROOT/dist"

echo "== virtualenv from requirements/runtime.txt"
$PY -m venv "$STAGE$PREFIX"
VPY="$STAGE$PREFIX/bin/python"
"$VPY" -m pip install --quiet --disable-pip-version-check --no-input --require-hashes --no-deps --only-binary=:all: \
    -r requirements/runtime.txt
"$VPY" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$BUILD/wheel" .
"$VPY" -m pip install --quiet --disable-pip-version-check --no-deps "$BUILD"/wheel/vigicommerce_gateway-*.whl
"$VPY" -m pip check

echo "== relocation to $PREFIX"
find "$STAGE$PREFIX" -name __pycache__ -type d -prune -exec rm -rf {} +
rm -f "$STAGE$PREFIX"/lib/python*/site-packages/vigicommerce_gateway-*.dist-info/direct_url.json
grep -rlI --null "$STAGE" "$STAGE$PREFIX" | xargs -0 --no-run-if-empty sed -i "s|$STAGE||g"
if grep -rlI "$STAGE" "$STAGE$PREFIX"; then echo "staging path left in the files above" >&2; exit 1; fi

echo "== system files"
install -d "$STAGE/usr/bin" "$STAGE/lib/systemd/system" "$STAGE/usr/lib/sysusers.d" "$STAGE/usr/lib/tmpfiles.d" \
    "$STAGE/lib/udev/rules.d" "$STAGE/etc/vigicommerce" "$STAGE/usr/share/doc/vigicommerce/examples" \
    "$STAGE/usr/share/vigicommerce/data"
ln -s "$PREFIX/bin/vigicommerce" "$STAGE/usr/bin/vigicommerce"
for unit in vigicommerce-gateway.service vigicommerce-simulator.service vigicommerce-backup.service \
    vigicommerce-backup.timer; do
    install -m 0644 "systemd/$unit" "$STAGE/lib/systemd/system/$unit"
done
install -m 0644 systemd/vigicommerce.sysusers.conf "$STAGE/usr/lib/sysusers.d/vigicommerce.conf"
install -m 0644 systemd/vigicommerce.tmpfiles.conf "$STAGE/usr/lib/tmpfiles.d/vigicommerce.conf"
install -m 0644 systemd/99-vigicommerce-modems.rules "$STAGE/lib/udev/rules.d/99-vigicommerce-modems.rules"
install -m 0640 systemd/gateway.example.toml "$STAGE/etc/vigicommerce/gateway.toml"
install -m 0644 systemd/rehearsal.conf "$STAGE/usr/share/doc/vigicommerce/examples/rehearsal.conf"
install -m 0644 systemd/gateway.example.toml "$STAGE/usr/share/doc/vigicommerce/examples/gateway.example.toml"
install -m 0644 data/zones.csv data/streets.csv data/categories.csv data/members-sample.csv "$STAGE/usr/share/vigicommerce/data/"
install -m 0644 README.md docs/install.md docs/metrics.md docs/grafana-dashboard.json "$STAGE/usr/share/doc/vigicommerce/"
install -m 0644 packaging/debian/copyright "$STAGE/usr/share/doc/vigicommerce/copyright"

echo "== control"
install -d "$STAGE/DEBIAN"
for script in postinst prerm postrm; do install -m 0755 "packaging/debian/$script" "$STAGE/DEBIAN/$script"; done
install -m 0644 packaging/debian/conffiles "$STAGE/DEBIAN/conffiles"
SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" -e "s/@PYVER@/$PYVER/g" \
    packaging/debian/control.in > "$STAGE/DEBIAN/control"

dpkg-deb --root-owner-group -Zzstd --build "$STAGE" "$OUT" >/dev/null
echo "built $OUT ($(du -h "$OUT" | cut -f1), installed size ${SIZE} KiB)"
