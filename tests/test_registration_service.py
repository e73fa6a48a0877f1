"""The registration service: validation, seats, waiting list, approval, links, privacy."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from voting.errors import Conflict, NotFound
from voting.extensions import db
from voting.models import (
    EventDay,
    Participant,
    Partnership,
    PrivacyNotice,
    Question,
    Registration,
    RegistrationStatus,
)
from voting.registration import service
from voting.registration.service import RegistrationData, RegistrationInvalid

Status = RegistrationStatus


def data(email="ana@example.org", **fields) -> RegistrationData:
    """Return valid registration data, changed by the given fields."""
    values = {
        "first_name": "Ana",
        "last_name": "Pereira",
        "email": email,
        "organisation": "Cluster Norte",
        "country": "PT",
        "consent_privacy": True,
    }
    values.update(fields)
    return RegistrationData(**values)


@pytest.fixture
def event(make_event):
    """An event with two days and two partnerships."""
    event = make_event()
    today = dt.date.today()
    event.days = [
        EventDay(date=today, title="Project meetings"),
        EventDay(date=today + dt.timedelta(days=1), title="Partnering day"),
    ]
    event.partnerships = [Partnership(name="Go Green Alliance"), Partnership(name="Blue Bio")]
    db.session.commit()
    return event


def day_ids(event):
    """Return the ids of an event's days."""
    return [day.id for day in event.days]


def test_register_confirms_and_records_consent(event):
    done = service.register(event, data(day_ids=day_ids(event)))
    registration = done.registration
    assert registration.status == Status.confirmed
    assert registration.email_key == "ana@example.org"
    assert len(registration.ticket_code) == 10
    assert registration.consent_privacy_at is not None
    notice = db.session.query(PrivacyNotice).one()
    assert notice.version == registration.consent_version
    assert event.name in notice.text
    assert service.by_token(event, done.token) == registration
    participant = db.session.query(Participant).filter_by(registration_id=registration.id).one()
    assert service.participant_id_for(registration) == participant.public_id


def test_every_problem_is_reported_at_its_field(event):
    bad = data(
        first_name="",
        email="not-an-email",
        country="XX",
        role="Astronaut",
        partnership_id=999,
        consent_privacy=False,
        day_ids=[],
        needs="x" * 1001,
    )
    with pytest.raises(RegistrationInvalid) as caught:
        service.register(event, bad)
    assert set(caught.value.errors) == {
        "first_name",
        "email",
        "country",
        "role",
        "partnership_id",
        "consent_privacy",
        "day_ids",
        "needs",
    }
    assert db.session.query(Registration).count() == 0


def test_duplicate_email_is_caught_in_any_case(event):
    service.register(event, data(day_ids=day_ids(event)))
    with pytest.raises(RegistrationInvalid) as caught:
        service.register(event, data(email="  ANA@Example.ORG ", day_ids=day_ids(event)))
    assert "already registered" in caught.value.errors["email"]
    assert db.session.query(Registration).count() == 1


def test_custom_questions_are_checked(event):
    event.questions = [
        Question(label="Diet", kind="choice", choices=["Vegetarian", "Vegan"], required=True),
        Question(label="First time?", kind="yesno"),
    ]
    db.session.commit()
    first, second = event.questions
    with pytest.raises(RegistrationInvalid) as caught:
        service.register(event, data(day_ids=day_ids(event), answers={str(second.id): "maybe"}))
    assert set(caught.value.errors) == {f"q_{first.id}", f"q_{second.id}"}
    done = service.register(
        event,
        data(
            day_ids=day_ids(event),
            answers={str(first.id): "Vegan", str(second.id): "yes", "99": "x"},
        ),
    )
    assert done.registration.answers == {str(first.id): "Vegan", str(second.id): "yes"}


def test_full_event_puts_people_on_the_waiting_list_and_a_cancellation_promotes(event):
    event.capacity = 2
    db.session.commit()
    people = [
        service.register(
            event, data(email=f"p{i}@example.org", day_ids=day_ids(event))
        ).registration
        for i in range(4)
    ]
    assert [p.status for p in people] == [Status.confirmed] * 2 + [Status.waiting] * 2
    change = service.cancel(people[0])
    assert change.registration.status == Status.cancelled
    assert change.promoted == [people[2]]
    assert people[2].status == Status.confirmed
    assert people[3].status == Status.waiting
    with pytest.raises(Conflict):
        service.cancel(people[0])


def test_day_capacity_counts_only_that_day(event):
    first_day, second_day = event.days
    first_day.capacity = 1
    db.session.commit()
    a = service.register(event, data(email="a@example.org", day_ids=[first_day.id])).registration
    b = service.register(event, data(email="b@example.org", day_ids=[first_day.id])).registration
    c = service.register(event, data(email="c@example.org", day_ids=[second_day.id])).registration
    assert (a.status, b.status, c.status) == (Status.confirmed, Status.waiting, Status.confirmed)
    with pytest.raises(RegistrationInvalid):
        service.update(c, data(email="c@example.org", day_ids=[first_day.id, second_day.id]))


def test_approval_then_seat_or_waiting_list(event):
    event.requires_approval = True
    event.capacity = 1
    db.session.commit()
    a = service.register(event, data(email="a@example.org", day_ids=day_ids(event))).registration
    b = service.register(event, data(email="b@example.org", day_ids=day_ids(event))).registration
    assert a.status == b.status == Status.pending
    assert service.approve(a).registration.status == Status.confirmed
    assert service.approve(b).registration.status == Status.waiting
    with pytest.raises(Conflict):
        service.approve(b)
    assert service.reject(a).promoted == [b]


def test_move_to_confirmed_refuses_when_full(event):
    event.capacity = 1
    db.session.commit()
    service.register(event, data(email="a@example.org", day_ids=day_ids(event)))
    b = service.register(event, data(email="b@example.org", day_ids=day_ids(event))).registration
    with pytest.raises(Conflict) as caught:
        service.move(b, "confirmed")
    assert caught.value.code == "event_full"
    event.capacity = 2
    db.session.commit()
    assert service.fill_free_seats(event) == [b]


def test_concurrent_registrations_never_exceed_capacity(app, event, tmp_path):
    event.capacity = 5
    db.session.commit()
    event_id = event.id
    errors = []

    def register(number: int) -> None:
        with app.app_context():
            try:
                target = db.session.get(type(event), event_id)
                service.register(
                    target, data(email=f"c{number}@example.org", day_ids=day_ids(target))
                )
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = service.counts(event)
    assert counts["confirmed"] == 5
    assert counts["waiting"] == 15


def test_new_link_replaces_the_old_one_but_keeps_the_voter(event):
    done = service.register(event, data(day_ids=day_ids(event)))
    participant = (
        db.session.query(Participant).filter_by(registration_id=done.registration.id).one()
    )
    token = service.new_link(done.registration)
    with pytest.raises(NotFound):
        service.by_token(event, done.token)
    assert service.by_token(event, token) == done.registration
    assert (
        db.session.query(Participant).filter_by(registration_id=done.registration.id).one().id
        == participant.id
    )


def test_personal_data_download_and_delete_keep_ballots(event):
    done = service.register(event, data(day_ids=day_ids(event), needs="Wheelchair access"))
    exported = service.personal_data(done.registration)
    assert exported["email"] == "ana@example.org"
    assert exported["needs"] == "Wheelchair access"
    assert exported["consent"]["privacy_notice_version"]
    participant_id = (
        db.session.query(Participant).filter_by(registration_id=done.registration.id).one().id
    )
    service.delete_registration(done.registration)
    assert db.session.query(Registration).count() == 0
    assert db.session.get(Participant, participant_id).registration_id is None


def test_purge_erases_identity_and_keeps_figures(event):
    service.register(event, data(day_ids=day_ids(event)))
    event.retention_days = 30
    db.session.commit()
    assert service.purge_due(event.ends_on + dt.timedelta(days=30)) == {}
    assert service.purge_due(event.ends_on + dt.timedelta(days=31)) == {event.code: 1}
    registration = db.session.query(Registration).one()
    assert registration.first_name == ""
    assert registration.email is None
    assert registration.country == "PT"
    assert registration.erased_at is not None
    assert service.counts(event)["by_country"] == [("PT", 1)]


def test_counts_group_by_country_and_partnership(event):
    other = data(email="b@example.org", country="DE", partnership_other="Nordic Net")
    service.register(event, data(day_ids=day_ids(event), partnership_id=event.partnerships[1].id))
    service.register(event, RegistrationData(**{**vars(other), "day_ids": day_ids(event)}))
    counts = service.counts(event)
    assert counts["confirmed"] == 2
    assert counts["checked_in"] == 0
    assert dict(counts["by_country"]) == {"PT": 1, "DE": 1}
    assert dict(counts["by_partnership"]) == {"Go Green Alliance": 1, "Other: Nordic Net": 1}


def test_registering_again_after_cancelling_revives_the_registration(event):
    first = service.register(event, data(day_ids=day_ids(event)))
    old_ticket = first.registration.ticket_code
    service.cancel(first.registration)
    again = service.register(
        event, data(email="ANA@example.org", organisation="New", day_ids=day_ids(event))
    )
    assert again.registration.id == first.registration.id
    assert again.registration.status == Status.confirmed
    assert again.registration.organisation == "New"
    assert again.registration.ticket_code != old_ticket
    with pytest.raises(NotFound):
        service.by_token(event, first.token)
    assert service.by_token(event, again.token) == again.registration
    with pytest.raises(RegistrationInvalid):
        service.register(event, data(day_ids=day_ids(event)))


def test_a_new_confirmed_attendee_updates_the_consoles_eligible_number(
    app, event, make_poll, make_user, login, socket_for
):
    from tests.conftest import events_named
    from voting.polls import service as polls

    poll = make_poll(event, eligibility="registered")
    polls.open_poll(poll)
    staff = login(app.test_client(), make_user("moderator", events=[event]))
    console = socket_for(staff, f"/manage/{event.code}/polls")
    console.emit("join", {"event": event.code, "role": "console"}, callback=True)
    console.get_received()
    done = service.register(event, data(day_ids=day_ids(event)))
    pushed = [m for m in events_named(console, "results") if m["poll_id"] == poll.id]
    assert pushed[-1]["eligible"] == 1
    console.get_received()
    service.cancel(done.registration)
    pushed = [m for m in events_named(console, "results") if m["poll_id"] == poll.id]
    assert pushed[-1]["eligible"] == 0


def test_ticket_qr_is_a_full_qr_code_phones_can_scan():
    from voting.registration.tickets import new_ticket_code, ticket_qr

    qr = ticket_qr(new_ticket_code())
    assert not qr.is_micro


def test_registration_changes_update_the_check_in_counts(app, event, make_user, login, socket_for):
    from tests.conftest import events_named

    door = login(app.test_client(), make_user("checkin", events=[event]))
    sock = socket_for(door, f"/e/{event.code}/checkin")
    sock.emit("join_checkin", {"event": event.code}, callback=True)
    sock.get_received()
    service.register(event, data(day_ids=day_ids(event)))
    counts = events_named(sock, "checkin_counts")
    assert counts[-1]["counts"]["confirmed"] == 1
