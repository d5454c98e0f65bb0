"""Command line: `python -m geo build`, `embed`, `fetch` and `manifest`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.pipeline.validate import DataError

UNCHANGED = "The previous database, if any, is unchanged, and so are the embed pages."


def _build(argv: list[str]) -> int:
    from geo.catalogue import CatalogueError
    from geo.gap import GapDirectionError
    from geo.pipeline.build import BuildCheckError, BuildLocked, disk_full
    from geo.publish import build
    from geo.explorer.embed import EmbedError
    from geo.releases import ReleaseError

    parser = argparse.ArgumentParser(prog="python -m geo build", description="Build data/kent.duckdb from the data mirror, "
                                     "and the light embed pages (static/embed) from it.")
    parser.add_argument("--data-dir", type=Path, help="the data mirror (default: $KENT_DATA_DIR or ../shared/data)")
    parser.add_argument("--database", type=Path, help="output file (default: $KENT_DB_PATH or data/kent.duckdb)")
    parser.add_argument("--embed-dir", type=Path, help="light embed pages, a symlink (default: $KENT_EMBED_DIR or static/embed)")
    parser.add_argument("--keep-releases", type=int, metavar="N", help="keep the N most recent data releases, plus "
                        "pinned ones and the one replaced (default: $KENT_RELEASES_KEEP, else every release)")
    arguments = parser.parse_args(argv)
    if arguments.keep_releases is not None and arguments.keep_releases < 1:
        parser.error("--keep-releases must be at least 1")
    try:
        report = build(arguments.data_dir, arguments.database, embed_dir=arguments.embed_dir,
                       keep_releases=arguments.keep_releases)
    except (DataError, BuildCheckError, EmbedError, CatalogueError, GapDirectionError, ReleaseError) as error:
        print(f"build failed: {error}\n{UNCHANGED}", file=sys.stderr)
        return 1
    except BuildLocked as error:
        print(f"build refused: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - every build failure is one message and exit 1 (the README's promise)
        if disk_full(error):
            print("build failed: the disk is full (no space left for the new database); the database in service "
                  "and the embed pages are unchanged. Free some space and build again.", file=sys.stderr)
        else:
            print(f"build failed: {type(error).__name__}: {error}\n{UNCHANGED}", file=sys.stderr)
        return 1
    print(f"built {report.database.name}, data release {report.release.release_id}: "
          f"{report.database_bytes / 1e6:.1f} MB in {report.seconds:.1f} s; "
          + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()))
    return 0


def _embed(argv: list[str]) -> int:
    from geo.config import database_path
    from geo.explorer.embed import publish

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
    from geo.pipeline.fetch import main

    return main(argv)


def _manifest(argv: list[str]) -> int:
    from geo.config import MANIFEST_PATH
    from geo.pipeline.sources import manifest_csv

    argparse.ArgumentParser(prog="python -m geo manifest",
                            description="Write data/manifest.csv (the list of source files) from the registry, "
                            "geo/pipeline/sources.py.").parse_args(argv)
    MANIFEST_PATH.write_text(manifest_csv(), encoding="utf-8")
    print(f"wrote {MANIFEST_PATH.relative_to(MANIFEST_PATH.parent.parent)}")
    return 0


COMMANDS = {"build": _build, "embed": _embed, "fetch": _fetch, "manifest": _manifest}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a subcommand."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m geo {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
