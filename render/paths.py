"""Where the project's own files are: the repository root, the shipped assets, the scenes.

Standard library only: the scenes import it too.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"
TINY_PRX_DIR = ASSETS_DIR / "models" / "tiny-prx"
FONT_DIR = ASSETS_DIR / "fonts"
SCENES_DIR = REPO_ROOT / "scenes"
