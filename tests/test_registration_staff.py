"""Staff registration pages through Flask's test client: list, actions, import, export, log."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
from email import policy

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.conftest import csrf_from
from voting.extensions import db
from voting.models import (
    AccessLog,
    Registration,
    RegistrationStatus,
)
from voting.registration import importing

Status = RegistrationStatus
BASE = "/manage/STAFF1/registrations"


@pytest.fixture
def event(make_conference):
    """A two-day event with a partnership and a required custom question."""
    return make_conference("STAFF1", name="Cluster Days")


@pytest.fixture
def outbox(app, tmp_path):
    """The folder mails are written to (no SMTP server configured)."""
    folder = tmp_path / "outbox"
    app.config["MAIL_OUTBOX"] = str(folder)

    class Outbox:
        def mails(self) -> list:
            """Return every mail written so far, parsed."""
            return [
                email.message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(folder.glob("*.eml"))
            ]

        def to(self, address: str) -> list:
            """Return the mails sent to one address."""
            return [mail for mail in self.mails() if mail["To"] == address]

    return Outbox()


@pytest.fixture
def organiser(client, event, make_user, login):
    """A client signed in as an admin, the role that handles personal data."""
    login(client, make_user("admin"))
    return client


def token_of(client, url: str = BASE) -> str:
    """Return the CSRF token of a staff page."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return csrf_from(response.get_data(as_text=True))


def count(**where) -> int:
    """Count registrations matching column values."""
    query = select(func.count()).select_from(Registration)
    for name, value in where.items():
        query = query.where(getattr(Registration, name) == value)
    return db.session.scalar(query)


def edit_form(event, registration, token: str, **changes) -> dict:
    """Return a valid staff edit submission of a registration."""
    values = {
        "csrf_token": token,
        "first_name": registration.first_name,
        "last_name": registration.last_name,
        "email": registration.email,
        "organisation": registration.organisation,
        "country": registration.country,
        "partnership_id": "",
        "role": "",
        "day_ids": [str(day.id) for day in event.days],
        f"q_{event.questions[0].id}": "Meat",
    }
    values.update(changes)
    return values


# --- who may see what ---------------------------------------------------------------------

STAFF_PAGES = ["", "/access-log", "/export.csv", "/export.xlsx", "/new", "/import", "/{id}"]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_roles(app, event, make_event, make_user, login, make_registration, page):
    registration, _ = make_registration(event)
    url = BASE + page.format(id=registration.id)
    assert app.test_client().get(url).status_code == 302  # anonymous: to the login page
    assert "/login" in app.test_client().get(url).headers["Location"]

    checkin = login(app.test_client(), make_user("checkin", events=[event]))
    assert checkin.get(url).status_code == 403

    other = make_event("OTHER1")
    stranger = login(app.test_client(), make_user("moderator", events=[other]))
    assert stranger.get(url).status_code == 403

    # Moderators run the polls; who registered is beyond what that needs.
    moderator = login(app.test_client(), make_user("moderator", events=[event]))
    assert moderator.get(url).status_code == 403

    admin = login(app.test_client(), make_user("admin"))
    assert admin.get(url).status_code == 200


def test_checkin_staff_cannot_act(app, event, make_user, login, make_registration, page_token):
    registration, _ = make_registration(event, status=Status.pending)
    checkin = login(app.test_client(), make_user("checkin", events=[event]))
    token = page_token(checkin, "/login")
    response = checkin.post(f"{BASE}/{registration.id}/approve", data={"csrf_token": token})
    assert response.status_code == 403
    assert count(status=Status.pending) == 1


# --- the list ----------------------------------------------------------------------------------


def test_list_counts_search_filter_sort_and_log(organiser, event, make_registration):
    make_registration(event, first_name="Ada", last_name="Lovelace", country="GB")
    make_registration(event, first_name="Ben", last_name="Brook", organisation="Zeta Labs")
    make_registration(event, status=Status.waiting, first_name="Cleo", last_name="Adams")
    checked, _ = make_registration(event, first_name="Dan", last_name="Door", country="DE")
    checked.checked_in_at = dt.datetime.now(dt.UTC)
    db.session.commit()

    html = organiser.get(BASE).get_data(as_text=True)
    assert 'data-count="confirmed">3<' in html
    assert 'data-count="waiting">1<' in html
    assert 'data-count="checked_in">1<' in html
    assert "United Kingdom" in html
    assert "Germany" in html
    assert "None given" in html  # per partnership

    html = organiser.get(BASE + "?q=lovelace").get_data(as_text=True)
    assert "Lovelace, Ada" in html
    assert "Brook" not in html
    html = organiser.get(BASE + "?q=zeta").get_data(as_text=True)
    assert "Brook, Ben" in html
    assert "Lovelace" not in html
    html = organiser.get(BASE + f"?q={checked.ticket_code[:5]}-{checked.ticket_code[5:]}")
    assert "Door, Dan" in html.get_data(as_text=True)
    html = organiser.get(BASE + "?status=waiting").get_data(as_text=True)
    assert "Adams, Cleo" in html
    assert "Lovelace" not in html
    html = organiser.get(BASE + "?country=DE").get_data(as_text=True)
    assert "Door, Dan" in html
    assert "Lovelace" not in html
    html = organiser.get(BASE + "?checked_in=no").get_data(as_text=True)
    assert "Door, Dan" not in html
    assert "Lovelace, Ada" in html
    html = organiser.get(BASE + "?partnership=none&q=ada").get_data(as_text=True)
    assert "Lovelace, Ada" in html
    assert "Adams, Cleo" in html

    html = organiser.get(BASE + "?sort=name").get_data(as_text=True)
    assert html.index("Adams, Cleo") < html.index("Brook, Ben") < html.index("Lovelace, Ada")
    html = organiser.get(BASE + "?sort=name&desc=1").get_data(as_text=True)
    assert html.index("Lovelace, Ada") < html.index("Adams, Cleo")
    html = organiser.get(BASE + "?sort=checked_in&desc=1").get_data(as_text=True)
    assert html.index("Door, Dan") < html.index("Lovelace, Ada")

    # Nonsense in the query string is ignored, not a 500.
    assert organiser.get(BASE + "?sort=x&status=y&page=z&partnership=1;drop").status_code == 200
    logged = db.session.scalars(select(AccessLog.detail).where(AccessLog.action == "list")).all()
    assert "q=lovelace" in logged
    assert len(logged) == 12


def test_list_pages(organiser, event, make_registration):
    for number in range(55):
        make_registration(event, last_name=f"Person{number:02d}")
    html = organiser.get(BASE + "?sort=name").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert "Person49" in html
    assert "Person50" not in html
    html = organiser.get(BASE + "?sort=name&page=2").get_data(as_text=True)
    assert "Person50" in html
    assert "Person49" not in html
    assert "Page 2 of 2" in organiser.get(BASE + "?page=99").get_data(as_text=True)


# --- one registration: edit and actions -----------------------------------------------------------


def test_detail_logged_and_edit(organiser, event, make_registration):
    registration, _ = make_registration(event, first_name="Ada")
    token = token_of(organiser, f"{BASE}/{registration.id}")
    assert db.session.scalar(select(func.count()).where(AccessLog.action == "view")) == 1
    response = organiser.post(
        f"{BASE}/{registration.id}",
        data=edit_form(event, registration, token, organisation="New Org", country="FR"),
    )
    assert response.status_code == 302
    db.session.refresh(registration)
    assert (registration.organisation, registration.country) == ("New Org", "FR")
    assert registration.answers == {str(event.questions[0].id): "Meat"}


def test_edit_errors_at_the_field_change_nothing(organiser, event, make_registration):
    registration, _ = make_registration(event, first_name="Ada")
    other, _ = make_registration(event, email="taken@example.org")
    token = token_of(organiser, f"{BASE}/{registration.id}")
    url = f"{BASE}/{registration.id}"
    bad = {"first_name": "", "email": "not-an-email", "country": "XX"}
    response = organiser.post(url, data=edit_form(event, registration, token, **bad))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="first_name-error"' in html
    assert 'id="email-error"' in html
    assert 'id="country-error"' in html
    response = organiser.post(
        url, data=edit_form(event, registration, token, email="TAKEN@example.org")
    )
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    db.session.refresh(registration)
    assert registration.first_name == "Ada"
    assert registration.email != "taken@example.org"


def test_missing_csrf_changes_nothing(organiser, event, make_registration):
    registration, _ = make_registration(event, status=Status.pending, first_name="Ada")
    assert organiser.post(f"{BASE}/{registration.id}/approve").status_code == 400
    response = organiser.post(
        f"{BASE}/{registration.id}", data=edit_form(event, registration, "", first_name="Eve")
    )
    assert response.status_code == 400
    assert organiser.post(f"{BASE}/new", data={"first_name": "X"}).status_code == 400
    db.session.refresh(registration)
    assert registration.status == Status.pending
    assert registration.first_name == "Ada"
    assert count() == 1


def test_approve_and_reject_mail_the_attendee(organiser, event, make_registration, outbox):
    pending, _ = make_registration(event, status=Status.pending, email="p@example.org")
    other, _ = make_registration(event, status=Status.pending, email="q@example.org")
    token = token_of(organiser)
    response = organiser.post(f"{BASE}/{pending.id}/approve", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.refresh(pending)
    assert pending.status == Status.confirmed
    assert "You have a place" in outbox.to("p@example.org")[0]["Subject"]
    response = organiser.post(
        f"{BASE}/{other.id}/reject", data={"csrf_token": token, "back": "list"}
    )
    assert response.headers["Location"].endswith(BASE)
    db.session.refresh(other)
    assert other.status == Status.rejected
    assert "was not accepted" in outbox.to("q@example.org")[0]["Subject"]
    html = organiser.get(BASE).get_data(as_text=True)
    assert "q@example.org was told by mail." in html

    # Approving again is a conflict: a 409 with the message, nothing changed.
    response = organiser.post(f"{BASE}/{pending.id}/approve", data={"csrf_token": token})
    assert response.status_code == 409
    assert "Only registrations awaiting approval" in response.get_data(as_text=True)


def test_cancel_promotes_and_mails_both(organiser, event, make_registration, outbox):
    event.capacity = 1
    db.session.commit()
    seated, _ = make_registration(event, email="seated@example.org")
    waiting, _ = make_registration(event, status=Status.waiting, email="waiting@example.org")
    token = token_of(organiser)
    response = organiser.post(f"{BASE}/{seated.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.refresh(waiting)
    assert waiting.status == Status.confirmed
    assert "is cancelled" in outbox.to("seated@example.org")[0]["Subject"]
    assert "You have a place" in outbox.to("waiting@example.org")[0]["Subject"]
    html = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert "got a seat from the waiting list" in html


def test_move_between_lists_and_promotion(organiser, event, make_registration, outbox):
    event.capacity = 1
    db.session.commit()
    seated, _ = make_registration(event, email="seated@example.org")
    waiting, _ = make_registration(event, status=Status.waiting, email="waiting@example.org")
    token = token_of(organiser)
    url = f"{BASE}/{seated.id}/move"
    assert organiser.post(url, data={"csrf_token": token, "status": "nonsense"}).status_code == 400
    assert organiser.post(url, data={"csrf_token": token, "status": "pending"}).status_code == 303
    db.session.refresh(seated)
    db.session.refresh(waiting)
    assert (seated.status, waiting.status) == (Status.pending, Status.confirmed)
    assert outbox.to("seated@example.org")
    assert outbox.to("waiting@example.org")
    # Full again: moving back to confirmed is refused with a 409.
    response = organiser.post(url, data={"csrf_token": token, "status": "confirmed"})
    assert response.status_code == 409
    db.session.refresh(seated)
    assert seated.status == Status.pending


def test_mail_failure_is_flashed(app, organiser, event, make_registration):
    pending, _ = make_registration(event, status=Status.pending, email="p@example.org")
    app.config["MAIL_SERVER"] = "127.0.0.1"
    app.config["MAIL_PORT"] = 9  # discard port: nobody listens, the mail fails
    app.config["MAIL_TIMEOUT"] = 2
    token = token_of(organiser)
    response = organiser.post(f"{BASE}/{pending.id}/approve", data={"csrf_token": token})
    html = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert "The mail to p@example.org could not be sent" in html
    db.session.refresh(pending)
    assert pending.status == Status.confirmed


def test_resend_confirmation_new_link(organiser, event, make_registration, outbox):
    registration, old_token = make_registration(event, email="ada@example.org")
    old_hash = registration.link_hash
    page = organiser.get(f"{BASE}/{registration.id}").get_data(as_text=True)
    assert "the old link stops working" in page
    token = csrf_from(page)
    url = f"{BASE}/{registration.id}/resend"
    assert organiser.post(url, data={"csrf_token": token}).status_code == 400  # not confirmed
    assert not outbox.mails()
    response = organiser.post(url, data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 303
    db.session.refresh(registration)
    assert registration.link_hash != old_hash
    mail = outbox.to("ada@example.org")[0]
    assert "/e/STAFF1/r/" in mail.get_body(preferencelist=("plain",)).get_content()
    assert organiser.get(f"/e/STAFF1/r/{old_token}").status_code == 404


def test_add_attendee_by_hand(organiser, event, outbox):
    token = token_of(organiser, f"{BASE}/new")
    values = {
        "csrf_token": token,
        "first_name": "Nina",
        "last_name": "Novak",
        "email": "nina@example.org",
        "organisation": "Slovenian Cluster",
        "country": "SI",
        "day_ids": [str(event.days[0].id)],
        f"q_{event.questions[0].id}": "Vegetarian",
    }
    response = organiser.post(f"{BASE}/new", data={**values, "email": "bad"})
    assert response.status_code == 400
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert count() == 0
    response = organiser.post(f"{BASE}/new", data=values)
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert registration.status == Status.confirmed
    assert registration.consent_privacy_at is None
    assert "Your ticket" in outbox.to("nina@example.org")[0]["Subject"]


# --- export -------------------------------------------------------------------------------------


def test_export_csv_and_xlsx_with_answers_and_no_formulas(organiser, event, make_registration):
    registration, _ = make_registration(
        event,
        first_name='=HYPERLINK("http://evil")',
        organisation="+cmd",
        answers={str(event.questions[0].id): "Vegetarian"},
        consent_version="abc123",
        consent_privacy_at=dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC),
    )
    registration.days = list(event.days)
    registration.checked_in_at = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    db.session.commit()

    response = organiser.get(BASE + "/export.csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["First name"] == '\'=HYPERLINK("http://evil")'
    assert row["Organisation"] == "'+cmd"
    assert row["Lunch"] == "Vegetarian"
    assert row["Status"] == "confirmed"
    assert row["Ticket code"] == registration.ticket_code
    assert row["Checked in at"] == "2026-06-01T08:00:00+00:00"
    assert row["Privacy consent at"] == "2026-05-01T09:30:00+00:00"
    assert row["Privacy notice version"] == "abc123"
    assert row["Days"] == "Project meetings; Partnering day"
    assert row["Country name"] == "Belgium"

    response = organiser.get(BASE + "/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[cell.value for cell in cells] for cells in sheet.iter_rows()]
    header, cells = values[0], values[1]
    assert cells[header.index("First name")] == '\'=HYPERLINK("http://evil")'
    assert all(cell.data_type != "f" for cell in sheet[2])
    assert cells[header.index("Lunch")] == "Vegetarian"
    assert cells[header.index("Ticket code")] == registration.ticket_code

    actions = db.session.scalars(select(AccessLog.action)).all()
    assert actions.count("export_csv") == 1
    assert actions.count("export_xlsx") == 1
    log = organiser.get(BASE + "/access-log").get_data(as_text=True)
    assert "exported CSV" in log
    assert "exported XLSX" in log


def test_export_follows_filters(organiser, event, make_registration):
    make_registration(event, last_name="Kept", country="FR")
    make_registration(event, last_name="Left", country="DE")
    text = organiser.get(BASE + "/export.csv?country=FR").get_data().decode("utf-8-sig")
    assert "Kept" in text
    assert "Left" not in text
    assert organiser.get(BASE + "/export.pdf").status_code == 404


# --- import -------------------------------------------------------------------------------------

HEADER = ["First name", "Surname", "E-mail", "Company", "Country", "Days", "Lunch"]
GOOD_ROWS = [
    [
        "Ada",
        "Lovelace",
        "ada@example.org",
        "Engines Ltd",
        "United Kingdom",
        "Project meetings",
        "meat",
    ],
    ["Émile", "Zola", "emile@example.org", "Paris Cluster", "fr", "all", "Vegetarian"],
]


def csv_bytes(rows, delimiter=",") -> bytes:
    """Return rows as UTF-8 CSV."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(rows) -> bytes:
    """Return rows as an XLSX workbook."""
    workbook = Workbook()
    for cells in rows:
        workbook.active.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "people.csv"):
    """Post a file to the import page."""
    token = token_of(client, f"{BASE}/import")
    return client.post(
        f"{BASE}/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def mapping_of(html: str) -> dict[str, str]:
    """Return the columns the mapping page chose, by field."""
    import re

    chosen = {}
    for key, body in re.findall(
        r'<select id="map_(\w+)" name="map_\w+"[^>]*>(.*?)</select>', html, re.S
    ):
        match = re.search(r'<option value="(\d+)" selected>', body)
        chosen[key] = match.group(1) if match else ""
    return chosen


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_happy_path(organiser, event, outbox, kind):
    content = (
        csv_bytes([HEADER, *GOOD_ROWS], ";") if kind == "csv" else xlsx_bytes([HEADER, *GOOD_ROWS])
    )
    response = upload(organiser, content, f"people.{kind}")
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    html = organiser.get(mapping_url).get_data(as_text=True)
    mapping = mapping_of(html)
    question = f"q_{event.questions[0].id}"
    assert mapping["first_name"] == "0"
    assert mapping["last_name"] == "1"
    assert mapping["email"] == "2"
    assert mapping["organisation"] == "3"
    assert mapping["country"] == "4"
    assert mapping["days"] == "5"
    assert mapping[question] == "6"
    assert mapping["role"] == ""

    response = organiser.get(
        mapping_url + "/preview", query_string={f"map_{k}": v for k, v in mapping.items()}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "All 2 rows are ready to import." in html
    assert "Lovelace" in html
    assert count() == 0  # a preview stores nothing

    token = csrf_from(html)
    data = {
        "csrf_token": token,
        "send_mail": "y",
        **{f"map_{k}": v for k, v in mapping.items() if v},
    }
    response = organiser.post(mapping_url + "/run", data=data)
    assert response.status_code == 303
    ada = db.session.scalar(select(Registration).where(Registration.last_name == "Lovelace"))
    emile = db.session.scalar(select(Registration).where(Registration.last_name == "Zola"))
    assert (ada.country, emile.country) == ("GB", "FR")
    assert [day.title for day in ada.days] == ["Project meetings"]
    assert len(emile.days) == 2
    assert ada.answers == {str(event.questions[0].id): "Meat"}
    assert ada.status == emile.status == Status.confirmed
    assert outbox.to("ada@example.org")
    assert outbox.to("emile@example.org")
    assert db.session.scalar(
        select(AccessLog.detail).where(AccessLog.action == "import")
    ).startswith("2 rows")
    # The upload is gone once imported.
    assert organiser.get(mapping_url).status_code == 404


def test_import_broken_rows_store_nothing(organiser, event, make_registration):
    make_registration(event, email="taken@example.org")
    rows = [
        HEADER,
        GOOD_ROWS[0],
        ["Bob", "", "bob@example", "Org", "Narnia", "Project meetings", "Meat"],
        ["Cy", "Dup", "ADA@example.org", "Org", "BE", "Partnering day", "Meat"],
        ["Di", "Old", "taken@example.org", "Org", "BE", "Someday", "Fish"],
        ["", "", "", "", "", "", ""],
        ["Ed", "Ok", "ed@example.org", "Org", "BE", "all", "Meat"],
    ]
    response = upload(organiser, csv_bytes(rows))
    mapping_url = response.headers["Location"]
    mapping = mapping_of(organiser.get(mapping_url).get_data(as_text=True))
    query = {f"map_{k}": v for k, v in mapping.items()}
    response = organiser.get(mapping_url + "/preview", query_string=query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "3 of 5 rows have problems" in html
    assert "Unknown country “Narnia”" in html
    assert "Enter a valid email address" in html
    assert "This email is also in row 2." in html
    assert "already registered for this event" in html
    assert "Unknown day “Someday”" in html
    assert "Choose one of the answers offered." in html
    assert 'data-line="7"' in html  # line numbers as in the file, blank row included
    assert "Import 4" not in html  # no import button

    token = csrf_from(html)
    response = organiser.post(mapping_url + "/run", data={"csrf_token": token, **query})
    assert response.status_code == 400
    assert count() == 1


def test_import_all_or_nothing_when_a_row_fails_late(
    organiser, event, make_registration, monkeypatch
):
    """A row that passes the preview but fails while storing rolls back the rows before it."""
    response = upload(organiser, csv_bytes([HEADER, *GOOD_ROWS]))
    mapping_url = response.headers["Location"]
    mapping = mapping_of(organiser.get(mapping_url).get_data(as_text=True))
    query = {f"map_{k}": v for k, v in mapping.items() if v}
    token = csrf_from(
        organiser.get(mapping_url + "/preview", query_string=query).get_data(as_text=True)
    )
    # Someone registers the second row's email between the preview and the import.
    real_check = importing.check_rows

    def check_then_register(*args):
        rows = real_check(*args)
        make_registration(event, email="emile@example.org")
        return rows

    monkeypatch.setattr(importing, "check_rows", check_then_register)
    response = organiser.post(mapping_url + "/run", data={"csrf_token": token, **query})
    assert response.status_code == 409
    assert "Nothing was imported: row 3" in response.get_data(as_text=True)
    assert count() == 1  # only the one registered meanwhile
    assert count(email="ada@example.org") == 0


def test_mapping_required_fields_and_bad_values(organiser, event):
    response = upload(organiser, csv_bytes([["Vorname", "Nachname"], ["A", "B"]]))
    mapping_url = response.headers["Location"]
    html = organiser.get(mapping_url).get_data(as_text=True)
    assert mapping_of(html)["first_name"] == ""
    assert '<label for="map_first_name">' in html
    response = organiser.get(mapping_url + "/preview", query_string={"map_first_name": "0"})
    assert response.status_code == 400
    assert 'id="map_email-error"' in response.get_data(as_text=True)
    response = organiser.get(mapping_url + "/preview", query_string={"map_first_name": "7"})
    assert response.status_code == 400
    # Staff change the mapping: the preview follows it.
    query = {
        "map_first_name": "1",
        "map_last_name": "0",
        "map_email": "0",
        "map_organisation": "0",
        "map_country": "0",
    }
    html = organiser.get(mapping_url + "/preview", query_string=query).get_data(as_text=True)
    assert "Enter a valid email address" in html


def zip_without_workbook() -> bytes:
    """Return a valid zip archive that is no workbook."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "status", "message"),
    [
        (b"", "empty.csv", 400, "The file is empty."),
        (b"First name,Last name\n", "head.csv", 400, "The file has no attendees"),
        ("Prénom,Nom\nÉ,Z\n".encode("latin-1"), "latin.csv", 400, "not in UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.png", 415, "not text"),
        (b"PK\x03\x04broken zip", "broken.xlsx", 400, "cannot be read"),
        (zip_without_workbook(), "other.xlsx", 400, "cannot be read"),
        (b"\xd0\xcf\x11\xe0old excel", "old.xls", 400, "not a CSV or XLSX"),
        (b"a,b\n" + b"x,y\n" * 5001, "many.csv", 413, "more than 5000 rows"),
    ],
)
def test_broken_files(organiser, event, content, name, status, message):
    response = upload(organiser, content, name)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="file-error"' in html


@pytest.mark.parametrize("size", [150_000, 300_000])
def test_too_big_files(organiser, event, monkeypatch, size):
    # The limit is lowered for the test: Werkzeug's test client spools bodies over 500 kB
    # to a temporary file it never closes (a ResourceWarning, an error here).
    monkeypatch.setattr(importing, "MAX_BYTES", 100_000)
    response = upload(organiser, b"a,b\n" + b"x" * size, "big.csv")
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)


def test_no_file_and_other_peoples_uploads(app, organiser, event, make_user, login):
    token = token_of(organiser, f"{BASE}/import")
    response = organiser.post(f"{BASE}/import", data={"csrf_token": token})
    assert response.status_code == 400
    assert "Choose a CSV or XLSX file." in response.get_data(as_text=True)
    mapping_url = upload(organiser, csv_bytes([HEADER, *GOOD_ROWS])).headers["Location"]
    colleague = login(app.test_client(), make_user("admin"))
    assert colleague.get(mapping_url).status_code == 404
    assert organiser.get(f"{BASE}/import/..%2F..%2Fsecret_key").status_code == 404
    assert organiser.get(f"{BASE}/import/{'a' * 32}").status_code == 404


def test_old_uploads_are_swept(app, organiser, event):
    import os
    import time

    mapping_url = upload(organiser, csv_bytes([HEADER, *GOOD_ROWS])).headers["Location"]
    folder = importing._folder()
    old = time.time() - importing.UPLOAD_TTL - 10
    for path in folder.iterdir():
        os.utime(path, (old, old))
    assert organiser.get(mapping_url).status_code == 404
    upload(organiser, csv_bytes([HEADER, *GOOD_ROWS]))
    assert len(list(folder.iterdir())) == 2  # the new upload's two files only


def test_guess_mapping_english_headings(event):
    header = [
        "firstname",
        "Last Name",
        "Email address",
        "Organization",
        "Country code",
        "Cluster partnership",
        "Role",
        "Dietary needs",
        "Photos",
        "lunch",
    ]
    mapping = importing.guess_mapping(event, header)
    assert mapping == {
        "first_name": 0,
        "last_name": 1,
        "email": 2,
        "organisation": 3,
        "country": 4,
        "partnership": 5,
        "role": 6,
        "needs": 7,
        "consent_photos": 8,
        f"q_{event.questions[0].id}": 9,
    }
