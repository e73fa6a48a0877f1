"""The staff list of registrations: search, filters, sorting and pages, read from the query string."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from voting.database import as_id
from voting.extensions import db
from voting.models import Event, Registration, RegistrationStatus
from voting.registration.tickets import normalise_ticket

PER_PAGE = 50
# Sort keys offered to staff -> the columns they order by (ties broken by id).
SORTS = {
    "name": (Registration.last_name, Registration.first_name),
    "organisation": (Registration.organisation,),
    "country": (Registration.country,),
    "status": (Registration.status,),
    "registered": (Registration.created_at,),
    "checked_in": (Registration.checked_in_at,),
}
DEFAULT_SORT = "registered"


@dataclass
class ListQuery:
    """What staff asked the list for; every value already checked."""

    q: str = ""
    status: str = ""
    country: str = ""
    partnership: str = ""  # "", a partnership id, "other" or "none"
    checked_in: str = ""  # "", "yes" or "no"
    sort: str = DEFAULT_SORT
    desc: bool = False
    page: int = 1

    def args(self, **changes) -> dict[str, str]:
        """Return the non-default values as query-string arguments, with some changed."""
        values = {
            "q": self.q,
            "status": self.status,
            "country": self.country,
            "partnership": self.partnership,
            "checked_in": self.checked_in,
            "sort": self.sort if self.sort != DEFAULT_SORT else "",
            "desc": "1" if self.desc else "",
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update({key: str(value) for key, value in changes.items()})
        return {key: value for key, value in values.items() if value and value != "0"}

    def describe(self) -> str:
        """Return the search and filters in a few words, for the access log."""
        parts = [
            f"{name}={value}"
            for name, value in self.args().items()
            if name not in ("sort", "desc", "page")
        ]
        return ", ".join(parts) or "all"


def parse_args(args) -> ListQuery:
    """Read a ListQuery from request arguments, dropping values that make no sense."""
    status = args.get("status", "")
    partnership = args.get("partnership", "")
    if partnership not in ("other", "none") and as_id(partnership) is None:
        partnership = ""
    sort = args.get("sort", DEFAULT_SORT)
    try:
        page = max(1, min(int(args.get("page", 1)), 100_000))
    except ValueError:
        page = 1
    return ListQuery(
        q=args.get("q", "").strip()[:200],
        status=status if status in RegistrationStatus.__members__ else "",
        country=args.get("country", "").strip().upper()[:2],
        partnership=partnership,
        checked_in=args.get("checked_in", "") if args.get("checked_in") in ("yes", "no") else "",
        sort=sort if sort in SORTS else DEFAULT_SORT,
        desc=args.get("desc") == "1",
        page=page,
    )


def registrations_query(event: Event, query: ListQuery) -> Select:
    """Return the filtered, sorted select of an event's registrations (no paging)."""
    statement = select(Registration).where(Registration.event_id == event.id)
    statement = _search(statement, query.q)
    if query.status:
        statement = statement.where(Registration.status == RegistrationStatus(query.status))
    if query.country:
        statement = statement.where(Registration.country == query.country)
    statement = _partnership(statement, query.partnership)
    if query.checked_in == "yes":
        statement = statement.where(Registration.checked_in_at.is_not(None))
    elif query.checked_in == "no":
        statement = statement.where(Registration.checked_in_at.is_(None))
    columns = [column.desc() if query.desc else column.asc() for column in SORTS[query.sort]]
    # NULLs (not checked in) last either way: the interesting rows come first.
    columns = [column.nulls_last() for column in columns]
    return statement.order_by(*columns, Registration.id).options(
        selectinload(Registration.partnership), selectinload(Registration.days)
    )


def _search(statement: Select, text: str) -> Select:
    """Match the words of a search against names, email, organisation and ticket code."""
    for word in text.split()[:5]:
        pattern = f"%{_escape_like(word.casefold())}%"
        ticket = normalise_ticket(word)
        statement = statement.where(
            or_(
                func.lower(Registration.first_name).like(pattern, escape="\\"),
                func.lower(Registration.last_name).like(pattern, escape="\\"),
                Registration.email_key.like(pattern, escape="\\"),
                func.lower(Registration.organisation).like(pattern, escape="\\"),
                Registration.ticket_code == ticket,
            )
        )
    return statement


def _escape_like(text: str) -> str:
    """Escape LIKE wildcards so that a typed % or _ matches itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _partnership(statement: Select, partnership: str) -> Select:
    """Filter by a partnership id, by 'other' (typed name) or by 'none'."""
    if partnership == "other":
        return statement.where(
            Registration.partnership_id.is_(None), Registration.partnership_other != ""
        )
    if partnership == "none":
        return statement.where(
            Registration.partnership_id.is_(None), Registration.partnership_other == ""
        )
    if partnership:
        return statement.where(Registration.partnership_id == int(partnership))
    return statement


@dataclass
class Page:
    """One page of the list."""

    items: list[Registration] = field(default_factory=list)
    total: int = 0
    number: int = 1
    pages: int = 1


def page_of(event: Event, query: ListQuery, per_page: int = PER_PAGE) -> Page:
    """Return the page of registrations the query asks for (the last one if beyond)."""
    statement = registrations_query(event, query)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    number = min(query.page, pages)
    items = db.session.scalars(statement.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(list(items), total, number, pages)


def countries_in_use(event: Event) -> list[str]:
    """Return the country codes the event's registrations name, for the filter."""
    return list(
        db.session.scalars(
            select(Registration.country)
            .where(Registration.event_id == event.id, Registration.country != "")
            .distinct()
            .order_by(Registration.country)
        )
    )
