"""Plain, typed views of the graph for people who do not write SPARQL."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NoReturn, TypeVar

from rdflib import URIRef

from metrograph.errors import DataError
from metrograph.namespaces import MGS, SDG

__all__ = ["Component", "Deliverable", "FrozenDict", "Guideline", "Measure", "Plan",
           "ProgressRow", "ReportedComparison", "SDGLinkInfo", "Status", "StatusRecord",
           "assessment_date", "goal_of"]


K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(dict[K, V]):
    """A dictionary that cannot be changed once made: the labels, titles and counts of the
    typed objects. The knowledge graph hands out the same objects again (they are cached), so
    a change made to one would change what later calls return; build a new ``dict(...)`` to
    edit a copy. It is still a ``dict`` (``json.dumps``, ``==``, copies and pickling work)."""

    def _refuse(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} cannot be changed; make a copy: dict(...)")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


def _frozen(obj: object, *names: str) -> None:
    """Replace the dictionaries ``names`` of the frozen dataclass ``obj`` by
    :class:`FrozenDict` copies."""
    for name in names:
        value: Mapping[Any, Any] | Iterable[Any] = getattr(obj, name)
        if not isinstance(value, FrozenDict):
            object.__setattr__(obj, name, FrozenDict(value))


class Status(Enum):
    """A deliverable's status; ``NOT_RECORDED`` stands for the absence of any assessment."""

    DONE = "done"
    IN_PROGRESS = "in-progress"
    NOT_ELABORATED = "not-elaborated"
    NOT_RECORDED = "not-recorded"

    @property
    def iri(self) -> URIRef | None:
        """The concept of the status scheme (``None`` for ``NOT_RECORDED``)."""
        return None if self is Status.NOT_RECORDED else MGS[self.value]

    @property
    def symbol(self) -> str:
        """The report's symbol: V, O, X, or ``–`` when no status is recorded."""
        return {"done": "V", "in-progress": "O", "not-elaborated": "X"}.get(self.value, "–")

    @property
    def label_en(self) -> str:
        """English label."""
        return {"done": "done", "in-progress": "in progress", "not-elaborated": "not elaborated",
                "not-recorded": "not recorded"}[self.value]

    @property
    def label_fr(self) -> str:
        """French label, as the report writes it."""
        return {"done": "Réalisé", "in-progress": "En cours", "not-elaborated": "Non élaboré",
                "not-recorded": "Non enregistré"}[self.value]

    @classmethod
    def parse(cls, value: str | URIRef | Status) -> Status:
        """A status from its IRI, name (``done``, ``in-progress``...), symbol (V, O, X) or label."""
        if isinstance(value, Status):
            return value
        text = str(value).strip()
        if text.startswith(str(MGS)):
            text = text[len(str(MGS)):]
        key = text.lower().replace("_", "-").replace(" ", "-")
        aliases = {"v": "done", "o": "in-progress", "x": "not-elaborated", "none": "not-recorded",
                   "réalisé": "done", "en-cours": "in-progress", "non-élaboré": "not-elaborated"}
        with contextlib.suppress(ValueError):
            return cls(aliases.get(key, key))
        known = ", ".join(s.value for s in cls)
        raise ValueError(f"unknown status {value!r} (known: {known}, or V / O / X)")

    @classmethod
    def from_iri(cls, iri: URIRef | None) -> Status:
        """The status for a concept IRI, ``NOT_RECORDED`` for ``None``."""
        return cls.NOT_RECORDED if iri is None else cls.parse(iri)

    @classmethod
    def of_assessment(cls, iri: object, where: str) -> Status:
        """The status an assessment gives (``iri``: its ``mg:status``; ``where`` names the
        assessment); :class:`~metrograph.errors.DataError` when it is not a concept of the
        status scheme."""
        if isinstance(iri, URIRef) and str(iri).startswith(str(MGS)):
            with contextlib.suppress(ValueError):
                status = cls.parse(iri)
                if status is not cls.NOT_RECORDED:
                    return status
        raise DataError(f"{where} has mg:status {_shown(iri)}, not one of mgs:done, "
                        "mgs:in-progress, mgs:not-elaborated (mgsh:AssessmentStatusShape; "
                        "`metrograph validate` lists every violation)")


def assessment_date(value: object, where: str) -> dt.date:
    """An assessment's ``mg:asOf`` (``where`` names the assessment) as a date;
    :class:`~metrograph.errors.DataError` when it is not a valid ``xsd:date``."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise DataError(f"{where} has mg:asOf {_shown(value)}, not a valid xsd:date "
                    "(mgsh:AssessmentDateShape; `metrograph validate` lists every violation)")


def _shown(value: object) -> str:
    """A value of an answer as Turtle would write it (a converted literal: its lexical form)."""
    n3 = getattr(value, "n3", None)
    if callable(n3):
        return str(n3())
    if isinstance(value, dt.date):
        return f'"{value.isoformat()}"'
    return f'"{value}"'


def goal_of(sdg: URIRef) -> URIRef:
    """The goal of an SDG goal or target IRI (``…/sdg/5.5`` -> ``…/sdg/5``)."""
    local = str(sdg)[len(str(SDG)):]
    return SDG[local.split(".", 1)[0]]


@dataclass(frozen=True)
class StatusRecord:
    """One dated status assessment."""

    status: Status
    as_of: dt.date
    source: URIRef | None
    assessment: URIRef


@dataclass(frozen=True)
class SDGLinkInfo:
    """A link of a component to an SDG goal or target."""

    sdg: URIRef
    basis: URIRef | None
    justification: str | None
    iri: URIRef | None = None

    @property
    def goal(self) -> URIRef:
        """The goal (the link's own IRI when it points to a goal)."""
        return goal_of(self.sdg)

    @property
    def stated(self) -> bool:
        """Whether the source states the link (else the project proposes it)."""
        return self.basis is not None and str(self.basis).endswith("/stated")


@dataclass(frozen=True)
class Component:
    """A guideline, measure or deliverable."""

    iri: URIRef
    code: str
    position: int | None
    parent: URIRef
    plan: URIRef
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    themes: tuple[URIRef, ...] = ()
    mentions: tuple[URIRef, ...] = ()
    sdg_links: tuple[SDGLinkInfo, ...] = ()

    kind = "component"

    def __post_init__(self) -> None:
        _frozen(self, "labels")
        for name in ("themes", "mentions", "sdg_links", "history"):
            if hasattr(self, name):  # history: a deliverable's
                object.__setattr__(self, name, tuple(getattr(self, name)))

    def label(self, lang: str = "fr") -> str | None:
        """The text in ``lang`` (``fr``: the source's words; ``en``: the project's translation)."""
        return self.labels.get(lang)


@dataclass(frozen=True)
class Guideline(Component):
    """A guideline of a plan."""

    kind = "guideline"


@dataclass(frozen=True)
class Measure(Component):
    """A measure; its French label is its expected outcome statement."""

    kind = "measure"

    @property
    def expected_outcome(self) -> str | None:
        """The source's outcome statement for the measure."""
        return self.labels.get("fr")


@dataclass(frozen=True)
class Deliverable(Component):
    """A deliverable, with its status history (oldest first)."""

    history: tuple[StatusRecord, ...] = ()
    kind = "deliverable"

    @property
    def current(self) -> StatusRecord | None:
        """The latest assessment, or ``None`` when no status is recorded."""
        return self.history[-1] if self.history else None

    @property
    def status(self) -> Status:
        """The current status (``Status.NOT_RECORDED`` when there is no assessment)."""
        return self.history[-1].status if self.history else Status.NOT_RECORDED

    def status_on(self, day: dt.date) -> Status:
        """The status as it stood on ``day``."""
        past = [r for r in self.history if r.as_of <= day]
        return past[-1].status if past else Status.NOT_RECORDED


@dataclass(frozen=True)
class Plan:
    """An action plan of one organisation for one cycle."""

    iri: URIRef
    cycle: str
    organisation: URIRef
    start_year: int | None
    end_year: int | None
    title: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    guidelines: int = 0
    measures: int = 0
    deliverables: int = 0

    def __post_init__(self) -> None:
        _frozen(self, "title")


@dataclass(frozen=True)
class ProgressRow:
    """Deliverables of one group (plan, guideline, measure, theme or SDG goal) by status."""

    group: URIRef
    code: str
    plan: URIRef
    counts: dict[Status, int] = field(hash=False, compare=False)

    def __post_init__(self) -> None:
        _frozen(self, "counts")

    @property
    def total(self) -> int:
        """All deliverables of the group."""
        return sum(self.counts.values())

    def share(self, status: Status) -> float:
        """The share of the group's deliverables in ``status`` (0.0 for an empty group)."""
        return self.counts.get(status, 0) / self.total if self.total else 0.0


@dataclass(frozen=True)
class ReportedComparison:
    """The figures a source reports for a plan next to those recorded, and the difference."""

    plan: URIRef
    reported_total: int
    reported: dict[Status, int | None] = field(hash=False, compare=False)
    recorded_total: int = 0
    recorded: dict[Status, int] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        _frozen(self, "reported", "recorded")

    def difference(self, status: Status) -> int | None:
        """Reported minus recorded for ``status`` (``None`` where nothing is reported)."""
        rep = self.reported.get(status)
        return None if rep is None else rep - self.recorded.get(status, 0)

    @property
    def total_difference(self) -> int:
        """Reported total minus the number of deliverables in the graph."""
        return self.reported_total - self.recorded_total
