#!/bin/sh
# Regenerate discovered/ from the paper's Program 2 by automatic derivation (exact + measured steps).
# Everything in discovered/ is written by this command; never edit it by hand.
set -e
cd "$(dirname "$0")/.."
exec symopt simplify search_space/seeds/program2.program --measure --export lion --out discovered/
