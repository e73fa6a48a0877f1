"""Import of attendees from CSV or XLSX: reading the file, mapping columns, checking rows.

The upload is kept in the instance folder under a random name between the steps (upload,
mapping, preview, import): files are too big for the cookie session, and the name ties it
to one staff account and event. Uploads older than an hour are deleted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voting.errors import InvalidInput, NotFound
from voting.extensions import db
from voting.models import Event, QuestionKind, Registration
from voting.registration import service
from voting.registration.countries import code_for
from voting.registration.service import RegistrationData, RegistrationInvalid

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
UPLOAD_TTL = 3600  # seconds an upload waits for its import
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
YES = {"yes", "y", "true", "1", "x", "ja", "oui"}
NO = {"no", "n", "false", "0", ""}


class ImportFileError(InvalidInput):
    """An uploaded file that cannot be read as a table of attendees."""

    code = "invalid_import_file"

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- reading files -----------------------------------------------------------------------


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """Return the file's rows as text cells (the first row holds the headings)."""
    if not content.strip():
        raise ImportFileError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 5 MB. Split it into smaller files."), 413)
    name = filename.lower()
    if content.startswith(b"PK\x03\x04"):
        rows = _read_xlsx(content)
    elif name.endswith((".xlsx", ".xls", ".ods", ".xlsm")) or content.startswith(
        b"\xd0\xcf\x11\xe0"
    ):
        raise ImportFileError(
            _("This is not a CSV or XLSX file. Save it as .xlsx or as CSV (UTF-8) and try again.")
        )
    else:
        rows = _read_csv(content)
    return _tidy(rows)


def _read_csv(content: bytes) -> list[list[str]]:
    """Parse CSV in UTF-8 (with or without BOM), with comma, semicolon or tab delimiters."""
    if b"\x00" in content[:4096]:
        raise ImportFileError(
            _("This file is not text. Upload a CSV (UTF-8) or an XLSX file."), 415
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "The file is not in UTF-8. In Excel choose “CSV UTF-8” when saving, "
                "or upload the .xlsx file."
            )
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return _limited(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise ImportFileError(_("The CSV file is broken: %(error)s", error=str(error))) from None


def _read_xlsx(content: bytes) -> list[list[str]]:
    """Read the first sheet of an XLSX workbook as text."""
    from openpyxl import load_workbook  # ~13 MB: loaded only when a workbook is read

    unreadable = ImportFileError(
        _("This XLSX file cannot be read. Save it again from your spreadsheet program.")
    )
    # A damaged workbook makes openpyxl raise many kinds of error (zip, XML, KeyError,
    # ValueError...), while opening it or later while the read-only sheet is streamed.
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        current_app.logger.info("unreadable xlsx upload: %r", error)
        raise unreadable from None
    try:
        sheet = workbook.worksheets[0]
        return _limited(
            [_cell(value) for value in values] for values in sheet.iter_rows(values_only=True)
        )
    except ImportFileError:
        raise
    except Exception as error:
        current_app.logger.info("unreadable xlsx sheet: %r", error)
        raise unreadable from None
    finally:
        workbook.close()


def _cell(value) -> str:
    """Return a spreadsheet value as the text a person would type."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _limited(rows) -> list[list[str]]:
    """Collect rows, refusing more than MAX_ROWS attendees or MAX_COLUMNS columns."""
    collected: list[list[str]] = []
    filled = 0
    for cells in rows:
        texts = [str(cell) for cell in cells[:MAX_COLUMNS]]
        filled += any(text.strip() for text in texts)
        # The heading row plus MAX_ROWS attendees; blank rows count only in bulk (a
        # spreadsheet formatted down to row 1,000,000 is not read to its end).
        if filled > MAX_ROWS + 1 or len(collected) > 10 * MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(n)s rows. Split it into smaller files.", n=MAX_ROWS),
                413,
            )
        collected.append(texts)
    return collected


def _tidy(rows: list[list[str]]) -> list[list[str]]:
    """Trim cells and drop trailing blank rows and columns; require headings and a row.

    Blank rows in between stay, so that row numbers match what staff see in their file.
    """
    rows = [[cell.strip() for cell in cells] for cells in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    if rows and not any(rows[0]):
        raise ImportFileError(_("The first row must hold the column headings."))
    if not rows:
        raise ImportFileError(_("The file is empty."))
    width = max(max((i + 1 for i, cell in enumerate(cells) if cell), default=0) for cells in rows)
    rows = [(cells + [""] * width)[:width] for cells in rows]
    if not any(any(cells) for cells in rows[1:]):
        raise ImportFileError(
            _("The file has no attendees: the first row holds the headings, then one row each.")
        )
    return rows


# --- keeping the upload between steps ------------------------------------------------------


def _folder() -> Path:
    """Return the folder that holds uploads waiting for their import."""
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_upload(event: Event, user, filename: str, content: bytes) -> str:
    """Store an upload for this staff account and event; return its random id."""
    sweep_uploads()
    upload_id = secrets.token_urlsafe(24)
    folder = _folder()
    (folder / f"{upload_id}.data").write_bytes(content)
    meta = {"event_id": event.id, "user_id": user.id, "filename": filename[:200]}
    (folder / f"{upload_id}.json").write_text(json.dumps(meta))
    return upload_id


def load_upload(event: Event, user, upload_id: str) -> tuple[str, bytes]:
    """Return (filename, content) of this account's upload for this event, or raise NotFound."""
    gone = NotFound(_("This upload has expired or does not exist. Upload the file again."))
    if not UPLOAD_ID.match(upload_id or ""):
        raise gone
    folder = _folder()
    try:
        meta = json.loads((folder / f"{upload_id}.json").read_text())
        if time.time() - (folder / f"{upload_id}.json").stat().st_mtime > UPLOAD_TTL:
            raise FileNotFoundError
        content = (folder / f"{upload_id}.data").read_bytes()
    except (FileNotFoundError, ValueError):
        raise gone from None
    if meta.get("event_id") != event.id or meta.get("user_id") != user.id:
        raise gone
    return meta.get("filename", ""), content


def delete_upload(upload_id: str) -> None:
    """Remove an upload's files."""
    if UPLOAD_ID.match(upload_id or ""):
        for suffix in (".data", ".json"):
            (_folder() / f"{upload_id}{suffix}").unlink(missing_ok=True)


def sweep_uploads() -> None:
    """Delete uploads older than UPLOAD_TTL (abandoned imports)."""
    limit = time.time() - UPLOAD_TTL
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:  # another request swept it first
            pass


# --- mapping columns to fields -------------------------------------------------------------


@dataclass
class Target:
    """A registration field a column can be imported into."""

    key: str
    label: str
    names: tuple[str, ...] = ()  # normalised headings that mean this field
    required: bool = False


BASE_TARGETS = [
    Target("first_name", _l("First name"), ("firstname", "givenname", "forename", "first"), True),
    Target("last_name", _l("Last name"), ("lastname", "surname", "familyname", "last"), True),
    Target("email", _l("Email"), ("email", "emailaddress", "mail", "mailaddress"), True),
    Target(
        "organisation",
        _l("Organisation"),
        ("organisation", "organization", "company", "institution", "employer", "org"),
        True,
    ),
    Target("country", _l("Country"), ("country", "countrycode", "nation"), True),
    Target("partnership", _l("Partnership"), ("partnership", "clusterpartnership", "cluster")),
    Target("role", _l("Role"), ("role", "jobrole")),
    Target("days", _l("Days"), ("days", "day", "daysattending", "daysyouattend", "attendance")),
    Target(
        "needs",
        _l("Accessibility or dietary needs"),
        ("needs", "accessibilityordietaryneeds", "dietaryneeds", "dietary", "accessibility"),
    ),
    Target("consent_photos", _l("Photo consent"), ("photoconsent", "photos", "consentphotos")),
]


def targets(event: Event) -> list[Target]:
    """Return the fields of this event a column can go to, custom questions included."""
    questions = [
        Target(f"q_{question.id}", question.label, (_normal(question.label),))
        for question in event.questions
    ]
    return BASE_TARGETS + questions


def _normal(heading: str) -> str:
    """Return a heading without case, spaces or punctuation: 'E-mail' -> 'email'."""
    return re.sub(r"[^a-z0-9]", "", heading.casefold())


def guess_mapping(event: Event, header: list[str]) -> dict[str, int]:
    """Guess which column holds which field from the headings (English names)."""
    normal = [_normal(heading) for heading in header]
    mapping: dict[str, int] = {}
    for target in targets(event):
        for index, heading in enumerate(normal):
            if heading and heading in target.names and index not in mapping.values():
                mapping[target.key] = index
                break
    # "Name" alone is taken as the last name only when nothing better was found.
    if "last_name" not in mapping and "name" in normal:
        mapping["last_name"] = normal.index("name")
    return mapping


def read_mapping(event: Event, args, width: int) -> dict[str, int]:
    """Read a mapping chosen by staff (map_<field> = column number); ignore blanks."""
    mapping = {}
    for target in targets(event):
        value = str(args.get(f"map_{target.key}", "")).strip()
        if value == "":
            continue
        if not value.isdigit() or int(value) >= width:
            raise InvalidInput(_("Choose a column of the file for each field."))
        mapping[target.key] = int(value)
    return mapping


def mapping_errors(event: Event, mapping: dict[str, int]) -> dict[str, str]:
    """Return a message per required field that no column was chosen for."""
    return {
        target.key: _("Choose the column that holds this field.")
        for target in targets(event)
        if target.required and target.key not in mapping
    }


# --- checking rows ------------------------------------------------------------------------


@dataclass
class Row:
    """One attendee row of the file: its line, what it says and what is wrong with it."""

    line: int
    values: dict[str, str]
    data: RegistrationData | None = None
    errors: dict[str, str] = field(default_factory=dict)


def check_rows(event: Event, table: list[list[str]], mapping: dict[str, int]) -> list[Row]:
    """Turn the file's rows into registrations and note every problem, row by row."""
    target_labels = {target.key: str(target.label) for target in targets(event)}
    existing = set(
        db.session.scalars(
            select(Registration.email_key).where(
                Registration.event_id == event.id, Registration.email_key.is_not(None)
            )
        )
    )
    seen: dict[str, int] = {}
    rows = []
    for offset, cells in enumerate(table[1:]):
        if not any(cells):
            continue
        values = {key: cells[index] for key, index in mapping.items()}
        row = Row(line=offset + 2, values=values)
        row.data, row.errors = _row_data(event, values)
        _check_duplicate(row, existing, seen)
        row.errors = {target_labels.get(key, key): message for key, message in row.errors.items()}
        rows.append(row)
    return rows


def _row_data(event: Event, values: dict[str, str]) -> tuple[RegistrationData, dict[str, str]]:
    """Build a row's RegistrationData and run the service's checks on it."""
    errors: dict[str, str] = {}
    data = RegistrationData(
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        email=values.get("email", ""),
        organisation=values.get("organisation", ""),
        needs=values.get("needs", ""),
    )
    _country(values, data, errors)
    _partnership(event, values.get("partnership", ""), data)
    data.role = _role(values.get("role", ""))
    _days(event, values, data, errors)
    _answers(event, values, data, errors)
    photos = values.get("consent_photos", "").casefold()
    data.consent_photos = photos in YES
    if photos not in YES | NO:
        errors["consent_photos"] = _("Answer yes or no.")
    try:
        service.validate(event, data, need_consent=False)
    except RegistrationInvalid as error:
        for name, message in error.errors.items():
            errors.setdefault(_target_of(name), message)  # translated by the service
    return data, errors


def _target_of(service_field: str) -> str:
    """Return the import field a service error is about."""
    return {
        "partnership_id": "partnership",
        "partnership_other": "partnership",
        "day_ids": "days",
    }.get(service_field, service_field)


def _country(values: dict[str, str], data: RegistrationData, errors: dict) -> None:
    """Accept a country code or English name; note an unknown one."""
    text = values.get("country", "")
    data.country = code_for(text) or ""
    if text and not data.country:
        errors["country"] = _(
            "Unknown country “%(text)s”. Use its English name or code.", text=text
        )


def _partnership(event: Event, text: str, data: RegistrationData) -> None:
    """Match a partnership by name; any other name is kept as 'other'."""
    match = next((p for p in event.partnerships if p.name.casefold() == text.casefold()), None)
    if match is not None:
        data.partnership_id = match.id
    else:
        data.partnership_other = text


def _role(text: str) -> str:
    """Return the role of the list matching the text in any case (else the text, refused later)."""
    return next((role for role in service.ROLES if role.casefold() == text.casefold()), text)


def _days(event: Event, values: dict[str, str], data: RegistrationData, errors: dict) -> None:
    """Match days by title or date (ISO), separated by ; or ,; no Days column means all days."""
    if "days" not in values:
        data.day_ids = [day.id for day in event.days]
        return
    names = {}
    for day in event.days:
        names[day.title.casefold()] = day.id
        names[day.date.isoformat()] = day.id
    chosen = []
    for part in re.split(r"[;,]", values["days"]):
        part = part.strip()
        if not part:
            continue
        if part.casefold() in ("all", "all days"):
            chosen.extend(day.id for day in event.days)
        elif part.casefold() in names:
            chosen.append(names[part.casefold()])
        else:
            errors["days"] = _("Unknown day “%(text)s”.", text=part)
    data.day_ids = chosen


def _answers(event: Event, values: dict[str, str], data: RegistrationData, errors: dict) -> None:
    """Take the answers to custom questions; yes/no and choices are matched in any case."""
    for question in event.questions:
        text = values.get(f"q_{question.id}", "")
        if question.kind == QuestionKind.yesno and text:
            folded = text.casefold()
            text = "yes" if folded in YES else "no" if folded in NO else text
        elif question.kind == QuestionKind.choice and text:
            text = next((c for c in question.choices if c.casefold() == text.casefold()), text)
        data.answers[str(question.id)] = text


def _check_duplicate(row: Row, existing: set[str], seen: dict[str, int]) -> None:
    """Note an email registered already, or found in an earlier row of the file."""
    key = service.normalise_email(row.values.get("email", ""))
    if not key or "email" in row.errors:
        return
    if key in existing:
        row.errors["email"] = _("This email is already registered for this event.")
    elif key in seen:
        row.errors["email"] = _("This email is also in row %(line)s.", line=seen[key])
    else:
        seen[key] = row.line
