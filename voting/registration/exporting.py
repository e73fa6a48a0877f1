"""Export of registrations to CSV and XLSX for staff.

The headings are the ones the import recognises, so an export can be imported into
another event as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from voting.models import Event, Registration
from voting.registration.countries import country_name

# A spreadsheet treats a cell starting with one of these as a formula (or DDE command):
# a registrant could type "=HYPERLINK(...)" as their organisation (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

FIXED_COLUMNS = [
    "First name",
    "Last name",
    "Email",
    "Organisation",
    "Country",
    "Country name",
    "Partnership",
    "Role",
    "Days",
    "Accessibility or dietary needs",
]
STATE_COLUMNS = [
    "Status",
    "Ticket code",
    "Registered at",
    "Updated at",
    "Checked in at",
    "Checked in by",
    "Privacy consent at",
    "Privacy notice version",
    "Photo consent",
]


def neutralise(value: str) -> str:
    """Return a cell's text so that no spreadsheet runs it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def headings(event: Event) -> list[str]:
    """Return the column headings: the fields, then each custom question's label, then state."""
    return FIXED_COLUMNS + [question.label for question in event.questions] + STATE_COLUMNS


def row(event: Event, registration: Registration) -> list[str]:
    """Return one registration's cells, in the order of headings()."""
    answers = registration.answers or {}
    return [
        registration.first_name,
        registration.last_name,
        registration.email or "",
        registration.organisation,
        registration.country,
        country_name(registration.country) if registration.country else "",
        registration.partnership_name,
        registration.role,
        "; ".join(day.title for day in registration.days),
        registration.needs,
        *[answers.get(str(question.id), "") for question in event.questions],
        registration.status.value,
        registration.ticket_code,
        _time(registration.created_at),
        _time(registration.updated_at),
        _time(registration.checked_in_at),
        registration.checked_in_by.email if registration.checked_in_by else "",
        _time(registration.consent_privacy_at),
        registration.consent_version or "",
        "yes" if registration.consent_photos else "no",
    ]


def _time(value: dt.datetime | None) -> str:
    """Return a time as ISO 8601 in UTC to the second, or ''."""
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back the stored UTC time without its zone
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def table(event: Event, registrations) -> list[list[str]]:
    """Return headings and rows, every cell neutralised."""
    rows = [headings(event)] + [row(event, registration) for registration in registrations]
    return [[neutralise(str(cell)) for cell in cells] for cells in rows]


def to_csv(event: Event, registrations) -> bytes:
    """Return the registrations as CSV in UTF-8 with a BOM (so Excel reads the accents)."""
    return csv_bytes(table(event, registrations))


def csv_bytes(rows) -> bytes:
    """Return rows as CSV in UTF-8 with a BOM, every cell neutralised against formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[neutralise(str(cell)) for cell in cells] for cells in rows])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(event: Event, registrations) -> bytes:
    """Return the registrations as an XLSX workbook with one sheet."""
    # Imported here: openpyxl weighs ~13 MB in every server process, used by two pages.
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Registrations")
    for cells in table(event, registrations):
        # XLSX cannot hold most control characters; openpyxl refuses them.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
