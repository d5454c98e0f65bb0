"""Command line: `python -m geo build` and `python -m geo fetch`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.validate import DataError


def _build(argv: list[str]) -> int:
    from geo.build import BuildCheckError, BuildLocked, build, disk_full
    from geo.embed import EmbedError

    parser = argparse.ArgumentParser(prog="python -m geo build", description="Build data/kent.duckdb from the data mirror, "
                                     "and the light embed pages (static/embed) from it.")
    parser.add_argument("--data-dir", type=Path, help="the data mirror (default: $KENT_DATA_DIR or ../shared/data)")
    parser.add_argument("--database", type=Path, help="output file (default: $KENT_DB_PATH or data/kent.duckdb)")
    parser.add_argument("--embed-dir", type=Path, help="light embed pages, a symlink (default: $KENT_EMBED_DIR or static/embed)")
    arguments = parser.parse_args(argv)
    try:
        report = build(arguments.data_dir, arguments.database, embed_dir=arguments.embed_dir)
    except (DataError, BuildCheckError, EmbedError) as error:
        print(f"build failed: {error}\nThe previous database, if any, is unchanged, and so are the embed pages.", file=sys.stderr)
        return 1
    except BuildLocked as error:
        print(f"build refused: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - a full disk is one line, anything else stays a traceback
        if not disk_full(error):
            raise
        print("build failed: the disk is full (no space left for the new database); the database in service "
              "and the embed pages are unchanged. Free some space and build again.", file=sys.stderr)
        return 1
    print(f"built {report.database.name}: {report.database_bytes / 1e6:.1f} MB in {report.seconds:.1f} s; "
          + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()))
    return 0


def _embed(argv: list[str]) -> int:
    from geo.config import database_path
    from geo.embed import publish

    parser = argparse.ArgumentParser(prog="python -m geo embed",
                                     description="Make the light embed pages from the built database and serve them.")
    parser.add_argument("--database", type=Path, help="the built database (default: $KENT_DB_PATH or data/kent.duckdb)")
    parser.add_argument("--embed-dir", type=Path, help="served path, a symlink (default: $KENT_EMBED_DIR or static/embed)")
    arguments = parser.parse_args(argv)
    database = arguments.database or database_path()
    if not database.is_file():
        print(f"embed failed: no database at {database}; run `python -m geo build`.", file=sys.stderr)
        return 1
    report = publish(database, arguments.embed_dir)
    print(f"embed: {report.pages} pages and {report.postcode_files} postcode files, {report.bytes / 1e6:.1f} MB "
          f"in {report.seconds:.1f} s, serving {report.folder.name}")
    return 0


def _fetch(argv: list[str]) -> int:
    from geo.fetch import main

    return main(argv)


COMMANDS = {"build": _build, "embed": _embed, "fetch": _fetch}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a subcommand."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m geo {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
