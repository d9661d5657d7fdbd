"""The error the command line reports as a message, without a traceback.

Storyboard problems (`render.storyboard.StoryboardError`, exit 2) and model problems
(`render.engine.models.ModelError`) have their own classes; everything else a user can fix
(a folder that cannot be written, an unknown chapter id) is a `UserFacingError` (exit 1).
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A failure whose message is enough (a disk that is full, a folder that cannot be written)."""
