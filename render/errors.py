"""The errors the command line reports as a message, without a traceback.

Storyboard problems (`render.storyboard.StoryboardError`, exit 2) and model problems
(`render.engine.models.ModelError`, exit 1) have their own classes. Everything else a user can fix
is a `UserFacingError`: a run-time failure (a folder that cannot be written, exit 1), or a
`UsageError` when the command itself asked for something that does not exist (an unknown chapter
id, exit 2, like a bad option).
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A failure whose message is enough (a disk that is full, a folder that cannot be written)."""

    exit_code = 1


class UsageError(UserFacingError):
    """The command line asked for something that does not exist: fix the command, not the machine."""

    exit_code = 2
