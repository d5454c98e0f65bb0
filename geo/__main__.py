"""Command line: `python -m geo build` and `python -m geo fetch`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.validate import DataError


def _build(argv: list[str]) -> int:
    from geo.build import BuildCheckError, build

    parser = argparse.ArgumentParser(prog="python -m geo build", description="Build data/kent.duckdb from the data mirror.")
    parser.add_argument("--data-dir", type=Path, help="the data mirror (default: $KENT_DATA_DIR or ../shared/data)")
    parser.add_argument("--database", type=Path, help="output file (default: $KENT_DB_PATH or data/kent.duckdb)")
    arguments = parser.parse_args(argv)
    try:
        report = build(arguments.data_dir, arguments.database)
    except (DataError, BuildCheckError) as error:
        print(f"build failed: {error}\nThe previous database, if any, is unchanged.", file=sys.stderr)
        return 1
    print(f"built {report.database.name}: {report.database_bytes / 1e6:.1f} MB in {report.seconds:.1f} s; "
          + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()))
    return 0


def _fetch(argv: list[str]) -> int:
    from geo.fetch import main

    return main(argv)


COMMANDS = {"build": _build, "fetch": _fetch}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a subcommand."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m geo {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
