"""Copy the browser assets the app serves itself from node_modules into static/vendor/.

Run after `npm ci` at the repo root (scripts/setup_node.sh does both). Idempotent: a file is
only rewritten when its bytes differ, and files no longer vendored are removed. Streamlit
serves static/ at /app/static/ (server.enableStaticServing), so the browser never needs a CDN.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# package -> (destination folder under static/vendor, files relative to the package root)
ASSETS: dict[str, tuple[str, list[str]]] = {
    "leaflet": (
        "leaflet",
        [
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
            "LICENSE",
        ],
    ),
    # Decodes the maps' shared-arc (TopoJSON) boundaries in the browser; defines the global `topojson`.
    "topojson-client": ("topojson-client", ["dist/topojson-client.min.js", "LICENSE"]),
}


def _locked_version(package: str) -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"][f"node_modules/{package}"]["version"]


def _copy_if_changed(src: Path, dst: Path) -> bool:
    if dst.exists() and dst.read_bytes() == src.read_bytes():
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)
    return True


def vendor() -> int:
    """Copy every listed asset; return the number of files written (0 when already current)."""
    written = 0
    for package, (dest_name, files) in ASSETS.items():
        pkg_dir = NODE_MODULES / package
        manifest = pkg_dir / "package.json"
        if not manifest.exists():
            raise SystemExit(
                f"vendor_assets: {manifest} is missing; run `npm ci` at {ROOT} first "
                "(or scripts/setup_node.sh)."
            )
        installed = json.loads(manifest.read_text(encoding="utf-8"))["version"]
        locked = _locked_version(package)
        if installed != locked:
            raise SystemExit(
                f"vendor_assets: node_modules/{package} is {installed} but package-lock.json "
                f"pins {locked}; run `npm ci`."
            )
        dest = VENDOR / dest_name
        wanted = set()
        for rel in files:
            src = pkg_dir / rel
            if not src.exists():
                raise SystemExit(f"vendor_assets: {src} not found in {package}@{installed}")
            # dist/ is flattened: dist/leaflet.js -> static/vendor/leaflet/leaflet.js
            out_rel = Path(rel).relative_to("dist") if rel.startswith("dist/") else Path(rel)
            wanted.add(out_rel)
            written += _copy_if_changed(src, dest / out_rel)
        version_file = dest / "VERSION"
        wanted.add(Path("VERSION"))
        if not version_file.exists() or version_file.read_text(encoding="utf-8") != installed + "\n":
            version_file.write_text(installed + "\n", encoding="utf-8")
            written += 1
        for stale in sorted(p for p in dest.rglob("*") if p.is_file()):
            if stale.relative_to(dest) not in wanted:
                stale.unlink()
                written += 1
    return written


if __name__ == "__main__":
    n = vendor()
    print(f"vendor_assets: {n} file(s) updated in {VENDOR.relative_to(ROOT)}", file=sys.stderr)
