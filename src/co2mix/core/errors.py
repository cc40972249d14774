"""The errors a user can cause, each a message that names the culprit.

Stage scripts turn :class:`ParamsError` and :class:`InputError` into a one-line message
and exit status 2 (:func:`co2mix.core.stage.run_stage`); anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations


class ParamsError(ValueError):
    """A params file that cannot be used; the message names the key."""


class InputError(ValueError):
    """Input data or files a stage cannot use; the message names the file or column."""


class ReportError(RuntimeError):
    """The pull-request report cannot be made (bad base ref, DVC failing); says why."""
