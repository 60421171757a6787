"""Errors a user can act on.

Every runtime function raises one of these, never a bare library exception,
when the cause is the user's data or configuration. The message names the file,
feature or row concerned and says what to do. The local runner looks for
``PipelineUserError`` subclasses in a failed task's log to build the summary.
"""


class PipelineUserError(Exception):
    """Base class: a problem the user must fix in their data or parameters."""


class DataError(PipelineUserError):
    """The input data is missing, empty, malformed or violates the schema."""


class ConfigurationError(PipelineUserError):
    """A parameter or user-supplied file is invalid."""


class ValidationFailedError(DataError):
    """Data validation found anomalies and the run is configured to stop."""


class DataLossError(PipelineUserError):
    """Rows were lost between the stages of a Beam pipeline (counted in, not counted
    out): the runner failed silently, and the run stops rather than use part of the data."""
