#!/usr/bin/env bash
# Create benchmarks/.venv-etl with ethereum-etl 2.4.2 for baseline (c) of bench_fetch.py.
# ethereum-etl pins web3 5, which conflicts with trailscan's web3, hence a venv of its own.
#
# Python 3.11 removed inspect.getargspec, which the pinned parsimonious 0.8.1 imports. Upgrading
# parsimonious to 0.10.0 makes it import, but eth-abi 2.2 (pinned by web3 5) then fails on every
# eth_getLogs with an address filter (its grammar does isinstance(x, parsimonious.expressions.Optional),
# a function since 0.9), so 'export_token_transfers --tokens' breaks. Instead this keeps the pinned
# versions and, on Python >= 3.11, restores inspect.getargspec inside this venv only, through a .pth file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-etl"
python="${PYTHON:-python3}"

rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip wheel
"$venv/bin/pip" install --quiet "ethereum-etl==2.4.2"

site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo 'import inspect; inspect.getargspec = getattr(inspect, "getargspec", inspect.getfullargspec)' \
    > "$site/getargspec_shim.pth"

# The path that broke: ABI-formatting an eth_getLogs filter with a list of addresses.
"$venv/bin/python" -c 'from eth_abi.grammar import parse; parse("address[]")'
"$venv/bin/ethereumetl" export_token_transfers --help >/dev/null
echo "ethereum-etl ready: $venv/bin/ethereumetl"
