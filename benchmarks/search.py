"""Search benchmark: ``python benchmarks/search.py [--quick] [--json]`` (same as ``symopt bench search``)."""

import sys

from symopt.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "search", *sys.argv[1:]]))
