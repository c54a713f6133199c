"""Written demands for material (书面材料要求) and the forms a unit reported (报表), per unit and year:
最多报一次 — a form the grassroots already reported this year is not asked for again.

One register per unit and year (`register_id(unit, year)`). A higher office demands a form
(`demand`): when the unit already reported that form this year, the demand is answered with
the earlier report and nothing is recorded (the unit is not burdened again); when the same
form is already demanded and not yet reported, that pending demand is the answer; otherwise
`MaterialRequested` is recorded, and the burden ledger counts it. The unit answers a demand
with `FormReported` (the document's digest and title; the bytes live elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.case_base import check_act_date
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.ledger_rules import HANDLING_ROLES
from domain.units import UnitRegistry

DEMANDING_ROLES = frozenset({Role.AGENCY, Role.DEPARTMENT, Role.GOVERNMENT})


def register_id(unit: str, year: int) -> UUID:
    """The one register of a unit for a year."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:material-register:{unit}:{year}")


@dataclass(frozen=True)
class FormReport:
    """A form as the unit reported it: which demand it answered, when, and the document."""

    form: str
    request_id: str
    reported_on: date
    digest: str
    title: str


@dataclass(frozen=True)
class MaterialRequest:
    """A written demand for a form: who asked, when, and by when."""

    request_id: str
    form: str
    requester: str
    requested_on: date
    due: date | None


@dataclass(frozen=True)
class Demanded:
    """The answer to a demand: a new (or still pending) demand, or the earlier report of the form."""

    request: MaterialRequest | None = None
    earlier: FormReport | None = None

    @property
    def is_new(self) -> bool:
        return self.request is not None


class MaterialRegister(Aggregate):
    """What was demanded of one unit in one year, and what it reported."""

    class RegisterOpened(Aggregate.Created):
        """The register of a unit for a year (opened by its first demand)."""

        actor: dict[str, str]
        on: date
        unit: str
        year: int

        def apply(self, register: MaterialRegister) -> None:
            register.unit, register.year, register.requests, register.reports = self.unit, self.year, {}, {}

    class MaterialRequested(Aggregate.Event):
        """A written demand for a form (书面材料要求): counted by the burden ledger."""

        actor: dict[str, str]
        on: date
        request_id: str
        unit: str
        form: str
        requester: str
        due: date | None

        def apply(self, register: MaterialRegister) -> None:
            register.requests[self.request_id] = MaterialRequest(self.request_id, self.form, self.requester, self.on, self.due)

    class FormReported(Aggregate.Event):
        """The unit reports the form a demand asked for."""

        actor: dict[str, str]
        on: date
        request_id: str
        unit: str
        form: str
        digest: str
        title: str

        def apply(self, register: MaterialRegister) -> None:
            register.reports[self.form] = FormReport(self.form, self.request_id, self.on, self.digest, self.title)

    @classmethod
    def open(cls, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, unit: str, year: int) -> MaterialRegister:
        """Opens the register of `unit` for `year` (the application does so at the first demand)."""
        registry.check_known([unit])
        if year != on.year:
            raise InvalidCommand(f"a register opened on {on} is for {on.year}, not {year}")
        return cls._create(cls.RegisterOpened, id=register_id(unit, year), timestamp=now, actor=actor.as_dict(), on=on, unit=unit, year=year)

    def demand(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, request_id: str, form: str,
        due: date | None = None,
    ) -> Demanded:
        """A higher office (of a level above the unit) demands a form: 最多报一次 answers a reported form with its
        earlier report and a pending demand with itself; only a new demand is recorded."""
        self.check_demander(actor, registry)
        form = self.check_form(form)
        check_act_date(on, now)
        if on.year != self.year:
            raise InvalidCommand(f"the register is for {self.year}, the demand is dated {on}")
        if due is not None and due < on:
            raise InvalidCommand(f"the demand is due {due}, before it is made ({on})")
        if form in self.reports:
            return Demanded(earlier=self.reports[form])
        pending = self.pending(form)
        if pending is not None:
            return Demanded(request=pending)
        self.trigger_event(
            self.MaterialRequested, timestamp=now, actor=actor.as_dict(), on=on, request_id=request_id, unit=self.unit,
            form=form, requester=actor.unit, due=due,
        )
        return Demanded(request=self.requests[request_id])

    def report(self, *, actor: Actor, on: date, now: datetime, request_id: str, digest: str, title: str) -> FormReport:
        """The unit reports the form a pending demand asks for."""
        if actor.unit != self.unit or actor.role not in HANDLING_ROLES:
            raise ActNotAllowed(f"only the unit {self.unit!r} reports its forms")
        request = self.requests.get(request_id)
        if request is None:
            raise InvalidCommand(f"no demand {request_id!r} was made of {self.unit!r}")
        if request.form in self.reports:
            raise WrongState(f"the form {request.form!r} is already reported this year (最多报一次)")
        if not digest.strip() or not title.strip():
            raise InvalidCommand("a report names its document's digest and title")
        check_act_date(on, now, not_before=request.requested_on)
        self.trigger_event(
            self.FormReported, timestamp=now, actor=actor.as_dict(), on=on, request_id=request_id, unit=self.unit,
            form=request.form, digest=digest, title=title,
        )
        return self.reports[request.form]

    # ---- rules ------------------------------------------------------------------------

    def pending(self, form: str) -> MaterialRequest | None:
        """The demand for `form` not yet reported, if any."""
        return next((r for r in self.requests.values() if r.form == form and form not in self.reports), None)

    def check_demander(self, actor: Actor, registry: UnitRegistry) -> None:
        """Raised unless an office of a level that has the unit in its jurisdiction demands (not the unit itself)."""
        government = registry.government_of(actor.unit)
        if actor.role not in DEMANDING_ROLES or actor.unit == self.unit or not registry.is_within(self.unit, government):
            raise ActNotAllowed(f"material is demanded of {self.unit!r} by an office of a level above it")

    @staticmethod
    def check_form(form: str) -> str:
        """Raised when the form has no name; answers the name as forms are compared (trimmed)."""
        if not form.strip():
            raise InvalidCommand("a demand names the form it asks for")
        return form.strip()
