"""Console logging for the command line: the CLI reports failures a person can fix itself, so
Prefect's tracebacks for those would only bury the message."""

from __future__ import annotations

import logging

from enrollment_migrate.errors import is_disk_full


class HideExpectedFailures(logging.Filter):
    def __init__(self, expected: tuple[type[BaseException], ...]):
        super().__init__()
        self.expected = expected

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, self.expected) or (error is not None and is_disk_full(error)):
            return False
        message = record.getMessage()
        # A full disk is said in one line by the command (enrollment_migrate.errors).
        return not (
            record.levelno >= logging.ERROR
            and (any(name in message for name in _names_with_subclasses(self.expected)) or is_disk_full(Exception(message)))
        )


def _names_with_subclasses(kinds: tuple[type[BaseException], ...]) -> set[str]:
    """A failure of a subclass (a MappingError is a CannotRun) is as expected as its parent's;
    looked up at each record, so that subclasses defined after the filter count too."""
    names, pending = set(), list(kinds)
    while pending:
        kind = pending.pop()
        if kind.__name__ not in names:
            names.add(kind.__name__)
            pending.extend(kind.__subclasses__())
    return names


def hide_expected_failures(*expected: type[BaseException]) -> None:
    """Drop Prefect's console records about these exceptions (the API log keeps them)."""
    handlers = logging.getLogger().handlers + logging.getLogger("prefect").handlers
    for handler in handlers:
        if not any(isinstance(f, HideExpectedFailures) for f in handler.filters):
            handler.addFilter(HideExpectedFailures(expected))
