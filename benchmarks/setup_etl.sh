#!/usr/bin/env bash
# Create benchmarks/.venv-etl with ethereum-etl 2.4.2 for baseline (c) of bench_fetch.py.
# ethereum-etl pins an old web3 that conflicts with trailscan's, hence a venv of its own.
# parsimonious 0.10.0 replaces the pinned 0.8.1, which does not import on Python 3.11; it needs regex,
# which --no-deps would leave out.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-etl"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "ethereum-etl==2.4.2"
"$venv/bin/pip" install --quiet --no-deps "parsimonious==0.10.0"
"$venv/bin/pip" install --quiet "regex>=2022.3.15"
"$venv/bin/ethereumetl" --help >/dev/null
echo "ethereum-etl ready: $venv/bin/ethereumetl"
