"""What every refusal of a rule has in common: the words that say why, and where to show them."""
from __future__ import annotations


class Refusal(Exception):
    """A rule refused what was asked. `message` says why, in words shown to the person (or to
    the operator at the command line); `field` names the form field it is about, if any.

    Services raise a subclass named after their rule (`RegistrationClosed`, `AdminError`, …);
    views catch it and show `message` next to `field`, or as a flashed notice.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])
