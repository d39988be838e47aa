#!/bin/sh
# The second path to Lion: the paper's Program 2 simplified automatically (exact + measured steps, judged
# on the default funnel's held-out seeds) and exported to OUT (default runs/program2-lion/).
# tests/test_simplify_measured.py checks that it is Lion.
set -e
cd "$(dirname "$0")/.."
exec symopt simplify search_space/seeds/program2.program --measure --export lion --out "${1:-runs/program2-lion}"
