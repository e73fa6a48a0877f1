"""Serves front-end packages installed from npm, so no CDN is needed at run time."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_file

ROOT = Path(__file__).resolve().parent.parent
# Only these files of node_modules are served: an allow-list, not a directory listing.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.min.js.map": "socket.io-client/dist/socket.io.min.js.map",
    # QR decoding for the check-in page's camera scanner (used where BarcodeDetector is not).
    "jsQR.js": "jsqr/dist/jsQR.js",
}

bp = Blueprint("vendor", __name__)


@bp.get("/vendor/<name>")
def asset(name: str):
    """Send one allow-listed npm file with long caching."""
    relative = VENDOR_FILES.get(name)
    if relative is None:
        abort(404)
    path = ROOT / "node_modules" / relative
    if not path.is_file():
        abort(404, description="Front-end packages are missing: run `npm ci` first.")
    return send_file(path, max_age=3600)
