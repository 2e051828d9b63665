"""Errors the user can act on; third-party errors are translated into these at the boundary."""

from __future__ import annotations


class QAError(Exception):
    """Base class: the message says what happened and what to do."""


class SourceError(QAError):
    """A report file cannot be read or holds no usable text."""


class ModelError(QAError):
    """The embedding model cannot be found, materialized or loaded."""


class IndexError_(QAError):
    """The index is missing, corrupt, or does not match the report or model."""


class InputError(QAError):
    """A question cannot be answered as typed (empty, too long, no words)."""
