"""Forms of the staff registration pages that the attendee form does not cover."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField

from voting.models import RegistrationStatus

# Lists a registration can be moved to by hand (rejecting has its own button).
MOVE_TARGETS = ("confirmed", "waiting", "pending", "cancelled")
STATUS_LABELS = {
    "pending": _l("Awaiting approval"),
    "confirmed": _l("Registered"),
    "waiting": _l("Waiting list"),
    "cancelled": _l("Cancelled"),
    "rejected": _l("Rejected"),
}


class UploadForm(FlaskForm):
    """The file to import."""

    file = FileField(_l("CSV or XLSX file"))


class MoveForm(FlaskForm):
    """Put a registration on another list."""

    status = SelectField(_l("Move to"), choices=[], validate_choice=True)

    def for_status(self, current: RegistrationStatus) -> MoveForm:
        """Offer every list but the current one."""
        self.status.choices = [
            (status, STATUS_LABELS[status]) for status in MOVE_TARGETS if status != current
        ]
        return self


class ImportRunForm(FlaskForm):
    """The last import step: confirm, and choose whether to mail the attendees."""

    send_mail = BooleanField(
        _l("Send each imported attendee their confirmation with their personal link"),
        default=True,
    )
