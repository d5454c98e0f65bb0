"""`python -m geo build` as a whole: the pipeline builds the database, the explorer's light embed pages are made
from it before either is served, and both are put in service together (a failed build leaves both as they were).

The one module that joins the two wings: the pipeline never imports the explorer, so it is handed the embed
pages as a companion (geo.pipeline.build.Companion).
"""
from __future__ import annotations

from pathlib import Path

from geo.explorer import db, embed
from geo.pipeline import build as pipeline


class EmbedPages:
    """The light embed pages as the build's companion, served at `embed_dir` (default $KENT_EMBED_DIR or static/embed)."""

    description = "light embed pages from the new database (staged, not yet served)"

    def __init__(self, embed_dir: Path | None = None):
        self.embed_dir = embed_dir

    def stage(self, database: Path) -> embed.EmbedReport:
        """Generate the pages from the new database into a fresh versioned folder (not yet served)."""
        return embed.stage(database, self.embed_dir)

    def summary(self, staged: embed.EmbedReport) -> str:
        """What was generated, in one line."""
        return (f"{staged.pages} pages, {staged.postcode_files} postcode files, {staged.bytes / 1e6:.1f} MB "
                f"in {staged.seconds:.1f} s")

    def activate(self, staged: embed.EmbedReport) -> None:
        """Serve the staged pages (one symlink swap)."""
        embed.activate(staged, self.embed_dir)

    def discard(self, staged: embed.EmbedReport) -> None:
        """Remove pages that were staged and will not be served."""
        embed.discard(staged)

    def finished(self) -> None:
        """The pages were read through geo.explorer.db from the temporary file: forget that connection."""
        db.clear_caches()


def build(data_dir: Path | None = None, database: Path | None = None, progress: pipeline.Progress | None = None,
          embed_dir: Path | None = None, keep_releases: int | None = None) -> pipeline.BuildReport:
    """Build the database (a data release, kept under the retention `keep_releases`) and its light embed pages;
    put both in service only if everything passes."""
    return pipeline.build(data_dir, database, progress, companion=EmbedPages(embed_dir), keep_releases=keep_releases)
