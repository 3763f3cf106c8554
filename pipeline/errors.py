"""The project's own error types.

Every error a user can trigger is a :class:`PipelineError` whose message says what is wrong,
where (file:line, config key or record id) and how to fix it. ``cli.main`` turns it into one
``ERROR:`` line and exit status 2; nothing else should reach the user as a traceback.
"""

from __future__ import annotations


class PipelineError(Exception):
    """A problem with the user's input that the user can fix."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None):
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text = f"{text}; {self.fix}"
        return text


class ConfigError(PipelineError):
    """``config.yaml`` does not match the schema."""


class ExportError(PipelineError):
    """A bibliographic export cannot be read."""


class DecisionError(PipelineError):
    """A human decision file (duplicates, screening, extraction) has a bad row."""


class CheckError(PipelineError):
    """A stage's own consistency check failed (for example PRISMA boxes that do not add up)."""


def where(file: object, line: int | None = None) -> str:
    """Format a location as ``file:line`` (or just ``file``)."""
    return f"{file}:{line}" if line else str(file)
