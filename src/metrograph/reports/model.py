"""One report model for every renderer: plain dataclasses computed from a knowledge graph through
its public API and the query library. The Markdown and HTML renderers lay it out and add
nothing: a figure on a page is a figure here.

Each whole-graph question is asked once (progress by plan, guideline, measure, theme and SDG
goal; the links across cycles; the names of themes, goals, targets and organisations) and the
answers are shared out by plan, so a network of a thousand plans costs a handful of queries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from typing import TYPE_CHECKING, Any

from rdflib import URIRef

from metrograph.model import Component, Deliverable, Plan, ProgressRow, Status, goal_of

if TYPE_CHECKING:
    from metrograph.graph import KnowledgeGraph

__all__ = ["STATUSES", "CycleLink", "Cycles", "Flow", "GoalView", "Item", "LinkView",
           "NetworkReport", "OrgView", "PlanReport", "Reported", "Tally", "Text", "ThemeView",
           "build"]

#: Statuses in the order every table and chart shows them; the last is "none recorded".
STATUSES: tuple[Status, ...] = (Status.DONE, Status.IN_PROGRESS, Status.NOT_ELABORATED,
                                Status.NOT_RECORDED)
_SDG = "http://metadata.un.org/sdg/"
#: The agent of the metrograph project's own editorial work (its proposed SDG links...).
PROJECT = URIRef("https://w3id.org/metrograph/id/org/metrograph-project")


@dataclass(frozen=True)
class Text:
    """A text in French (the source's words) and English (the project's translation)."""

    fr: str = ""
    en: str = ""

    def lang(self, lang: str) -> str:
        """The language :meth:`get` answers in: ``lang`` when there is text in it."""
        own = self.fr if lang == "fr" else self.en
        return lang if own or not (self.fr or self.en) else ("en" if lang == "fr" else "fr")

    def get(self, lang: str) -> str:
        """The text in ``lang``, else in the other language."""
        return self.fr if self.lang(lang) == "fr" else self.en


@dataclass(frozen=True)
class Tally:
    """Deliverables counted by current status."""

    counts: tuple[int, int, int, int] = (0, 0, 0, 0)   # in the order of STATUSES

    @classmethod
    def of(cls, counts: Mapping[Status, int]) -> Tally:
        """From a mapping status -> count."""
        a, b, c, d = (int(counts.get(s, 0)) for s in STATUSES)
        return cls((a, b, c, d))

    @property
    def total(self) -> int:
        """Every deliverable counted."""
        return sum(self.counts)

    @property
    def recorded(self) -> int:
        """Deliverables with a recorded status."""
        return sum(self.counts[:3])

    def items(self) -> list[tuple[Status, int]]:
        """(status, count) in the order of STATUSES."""
        return list(zip(STATUSES, self.counts, strict=True))

    def n(self, status: Status) -> int:
        """The count of ``status``."""
        return self.counts[STATUSES.index(status)]

    def share(self, status: Status = Status.DONE) -> float:
        """The share of ``status`` (0.0 for no deliverable)."""
        return self.n(status) / self.total if self.total else 0.0

    def __add__(self, other: Tally) -> Tally:
        a, b, c, d = (x + y for x, y in zip(self.counts, other.counts, strict=True))
        return Tally((a, b, c, d))


@dataclass(frozen=True)
class Reported:
    """What the source reports for a plan, beside what is recorded deliverable by deliverable."""

    total: int
    figures: dict[Status, int | None] = field(hash=False, compare=False)

    def pending(self, status: Status, recorded: Tally) -> int | None:
        """Reported by the source, not yet recorded deliverable by deliverable (None when the
        source gives no figure; negative when more are recorded than the source reports)."""
        rep = self.figures.get(status)
        return None if rep is None else rep - recorded.n(status)


@dataclass(frozen=True)
class Item:
    """A guideline, measure or deliverable as a page shows it."""

    kind: str            # guideline, measure, deliverable
    code: str
    anchor: str
    text: Text
    status: Status = Status.NOT_RECORDED
    tally: Tally = Tally()
    children: tuple[Item, ...] = ()


@dataclass(frozen=True)
class ThemeView:
    """A cross-cutting theme in one plan: its names, progress and the measures that carry it."""

    code: str
    name: Text
    tally: Tally
    measures: tuple[tuple[Item, str, tuple[str, ...]], ...]   # measure, how, codes


@dataclass(frozen=True)
class LinkView:
    """A component's link to an SDG goal or target, and who proposed it."""

    item: Item
    parent_code: str
    sdg_code: str
    sdg_name: Text
    stated: bool
    justification: str
    attributed_to: tuple[URIRef, ...] = ()   # its agents (prov:wasAttributedTo), by IRI
    proposers: tuple[Text, ...] = ()         # their names, in the same order

    @property
    def basis(self) -> str:
        """``stated`` (by the source), ``proposed`` (by the metrograph project alone),
        ``proposed_by`` (by other agents: :attr:`proposers`) or ``proposed_unattributed``
        (nobody is recorded as proposing it)."""
        if self.stated:
            return "stated"
        if not self.attributed_to:
            return "proposed_unattributed"
        return "proposed" if self.attributed_to == (PROJECT,) else "proposed_by"

    def proposed_by(self, lang: str) -> str:
        """The names of who proposed the link, in ``lang`` (else the other language)."""
        return ", ".join(name.get(lang) for name in self.proposers)


@dataclass(frozen=True)
class GoalView:
    """An SDG goal a plan touches."""

    number: int
    name: Text          # short name (altLabel)
    title: Text         # full title (prefLabel)
    tally: Tally
    links: tuple[LinkView, ...]


@dataclass(frozen=True)
class CycleLink:
    """A component of one cycle and what became of it in the next."""

    relation: str                 # continues, replaces, splitFrom, drops
    earlier_code: str
    earlier_anchor: str
    earlier_plan: URIRef
    earlier_kind: str
    earlier_text: Text
    end_status: Status | None     # at the end of the earlier cycle (None: not a deliverable)
    later_code: str = ""
    later_anchor: str = ""
    later_plan: URIRef | None = None
    current: Status | None = None  # the later component's current status


@dataclass(frozen=True)
class Flow:
    """One band of the flow chart from cycle N-1 to N: how many earlier components went how
    many later ones by ``relation``."""

    relation: str
    earlier: int
    later: int


@dataclass(frozen=True)
class Cycles:
    """A plan among its organisation's other cycles."""

    previous: Plan | None
    into: tuple[CycleLink, ...]       # links from the previous cycles into this plan
    onward: tuple[CycleLink, ...]     # links from this plan into later cycles
    flows: tuple[Flow, ...]
    plans: tuple[Plan, ...]           # the organisation's plans, in cycle order
    themes: tuple[tuple[Text, tuple[int | None, ...]], ...]   # theme, deliverables per plan
    goals: tuple[tuple[int, Text, tuple[int | None, ...]], ...]


@dataclass(frozen=True)
class PlanReport:
    """Everything one plan's pages show."""

    plan: Plan
    slug: str
    organisation: Text
    title: Text
    recorded: Tally
    reported: Reported | None
    guidelines: tuple[Item, ...]
    themes: tuple[ThemeView, ...]
    goals: tuple[GoalView, ...]
    cycles: Cycles

    @property
    def any_status(self) -> bool:
        """Whether any deliverable of the plan has a recorded status."""
        return self.recorded.recorded > 0

    @property
    def links(self) -> tuple[LinkView, ...]:
        """Every SDG link of the plan, goal by goal."""
        return tuple(link for goal in self.goals for link in goal.links)

    def link_counts(self) -> dict[str, int]:
        """How many links the plan has by :attr:`LinkView.basis`, every basis present."""
        counts = dict.fromkeys(("stated", "proposed", "proposed_by", "proposed_unattributed"),
                               0)
        for link in self.links:
            counts[link.basis] += 1
        return counts


@dataclass(frozen=True)
class OrgView:
    """An organisation in the network overview."""

    slug: str
    name: Text
    plans: tuple[PlanReport, ...]
    goals: tuple[int, ...]           # contributing deliverables per SDG goal 1..17
    themes: tuple[str, ...]          # codes of the themes its plans carry


@dataclass(frozen=True)
class NetworkReport:
    """Every organisation and plan loaded."""

    organisations: tuple[OrgView, ...]
    themes: tuple[tuple[str, Text, int, int, Tally], ...]   # code, name, orgs, plans, tally
    goal_names: tuple[Text, ...]                           # goals 1..17
    tally: Tally

    @property
    def plans(self) -> list[PlanReport]:
        """Every plan, by organisation and cycle."""
        return [p for o in self.organisations for p in o.plans]


# ---------------------------------------------------------------------- helpers


def local(iri: object) -> str:
    """The last segment of an IRI."""
    return re.split(r"[/#]", str(iri).rstrip("/"))[-1]


def slug(text: str) -> str:
    """``text`` made safe for a file name or an HTML id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"


def _anchor(code: str) -> str:
    kind = "d" if re.search(r"D\d+$", code) else "m" if re.search(r"M\d+$", code) else "g"
    return f"{kind}-{slug(code)}"


def _goal_number(iri: object) -> int:
    head = str(iri)[len(_SDG):].split(".", 1)[0] if str(iri).startswith(_SDG) else ""
    return int(head) if head.isdigit() else 0


def _status(value: object, item: object) -> Status:
    """The status of ``item``'s latest assessment (``value``; ``None``: not recorded)."""
    if value is None:
        return Status.NOT_RECORDED
    name = item.n3() if isinstance(item, URIRef) else repr(item)
    return Status.of_assessment(value, f"the latest assessment of {name}")


def _rows(kg: KnowledgeGraph, query: str) -> list[dict[str, Any]]:
    """The rows of the packaged query ``queries/{query}.rq``."""
    with as_file(files("metrograph.reports") / "queries" / f"{query}.rq") as path:
        return kg.query_file(path).rows


def _names(kg: KnowledgeGraph) -> dict[str, dict[URIRef, Text]]:
    """pref/alt -> thing -> its French and English names (the first of each, in order)."""
    found: dict[str, dict[URIRef, dict[str, str]]] = {"pref": {}, "alt": {}}
    for r in _rows(kg, "labels"):
        found[str(r["kind"])].setdefault(r["item"], {}).setdefault(str(r["lang"]), str(r["name"]))
    return {k: {i: Text(v.get("fr", ""), v.get("en", "")) for i, v in d.items()}
            for k, d in found.items()}


def _attributions(kg: KnowledgeGraph) -> dict[URIRef, tuple[URIRef, ...]]:
    """SDG link -> the agents it is attributed to, in IRI order."""
    found: dict[URIRef, set[URIRef]] = defaultdict(set)
    for r in _rows(kg, "attributions"):
        found[r["link"]].add(r["agent"])
    return {link: tuple(sorted(agents)) for link, agents in found.items()}


def _agent_name(g: _Graph, agent: URIRef) -> Text:
    """An agent's name: its preferred name, else its short one, else its IRI's last part."""
    return g.names["pref"].get(agent) or g.names["alt"].get(agent) or Text(local(agent),
                                                                          local(agent))


def _by_plan(rows: Iterable[ProgressRow]) -> dict[URIRef, list[ProgressRow]]:
    out: dict[URIRef, list[ProgressRow]] = defaultdict(list)
    for r in rows:
        out[r.plan].append(r)
    return out


# ---------------------------------------------------------------------- building


@dataclass
class _Graph:
    """The whole-graph answers, asked once."""

    plans: list[Plan]
    names: dict[str, dict[URIRef, Text]]
    comps: dict[URIRef, list[Component]]
    by_iri: dict[URIRef, Component]
    progress: dict[str, dict[URIRef, list[ProgressRow]]]
    reported: dict[URIRef, Reported]
    into: dict[URIRef, list[CycleLink]]     # by later plan
    onward: dict[URIRef, list[CycleLink]]   # by earlier plan
    themes_over: dict[URIRef, list[dict[str, Any]]]   # by organisation
    attributions: dict[URIRef, tuple[URIRef, ...]] = field(default_factory=dict)   # by link


def _one_each(components: Iterable[Component]) -> list[Component]:
    """One component per IRI, in the API's order. Data that fails validation (two
    translations, two assessments on one date) can give a component twice: the report shows
    it once, the same one in every store (the least by its texts and status)."""
    def rank(c: Component) -> tuple[str, str, str]:
        status = c.status.value if isinstance(c, Deliverable) else ""
        return c.label("fr") or "", c.label("en") or "", status

    chosen: dict[URIRef, Component] = {}
    for c in components:
        if c.iri not in chosen or rank(c) < rank(chosen[c.iri]):
            chosen[c.iri] = c
    return list(chosen.values())   # in the order the API gives (the first of each)


def _gather(kg: KnowledgeGraph) -> _Graph:
    from metrograph.graph import plan_sequence

    comps: dict[URIRef, list[Component]] = defaultdict(list)
    for c in _one_each(kg.components()):
        comps[c.plan].append(c)
    reported = {c.plan: Reported(c.reported_total, dict(c.reported))
                for c in kg.reported_vs_recorded()}
    g = _Graph(
        plans=plan_sequence(kg.plans()), names=_names(kg), comps=comps,
        by_iri={c.iri: c for cs in comps.values() for c in cs},
        progress={by: _by_plan(kg.progress(by)) for by in
                  ("plan", "guideline", "measure", "theme", "sdg-goal")},
        reported=reported, into=defaultdict(list), onward=defaultdict(list),
        themes_over=defaultdict(list), attributions=_attributions(kg))
    if len(g.plans) > 1:
        rows = [(r, local(r["relation"])) for r in kg.query("carried-over").rows]
        for r, relation in rows + [(r, "drops") for r in kg.query("dropped").rows]:
            link = _link(g, r, relation)
            g.into[r["to"]].append(link)
            g.onward[r["from"]].append(link)
        for r in kg.query("themes-over-cycles").rows:
            g.themes_over[r["organisation"]].append(r)
    return g


def _item(c: Component, tallies: Mapping[URIRef, Tally] | None = None,
          children: Sequence[Item] = ()) -> Item:
    return Item(kind=c.kind, code=c.code, anchor=_anchor(c.code),
                text=Text(c.label("fr") or "", c.label("en") or ""),
                status=c.status if isinstance(c, Deliverable) else Status.NOT_RECORDED,
                tally=(tallies or {}).get(c.iri, Tally()), children=tuple(children))


def _outline(g: _Graph, plan: Plan) -> tuple[Item, ...]:
    tallies = {r.group: Tally.of(r.counts) for by in ("guideline", "measure")
               for r in g.progress[by].get(plan.iri, [])}
    kids: dict[URIRef, list[Component]] = defaultdict(list)
    for c in g.comps.get(plan.iri, []):
        kids[c.parent].append(c)

    def build(c: Component) -> Item:
        return _item(c, tallies, [build(k) for k in kids.get(c.iri, [])])

    return tuple(build(c) for c in kids.get(plan.iri, []))


def _themes(g: _Graph, plan: Plan, outline: Sequence[Item]) -> tuple[ThemeView, ...]:
    out = []
    comps = {c.code: c for c in g.comps.get(plan.iri, [])}
    for row in sorted(g.progress["theme"].get(plan.iri, []), key=lambda r: r.code):
        carriers: list[tuple[Item, str, tuple[str, ...]]] = []
        for guide in outline:
            for m in guide.children:
                tagged = tuple(d.code for d in m.children if row.group in comps[d.code].themes)
                if row.group in comps[m.code].themes:
                    carriers.append((m, "via_measure", ()))
                elif row.group in comps[guide.code].themes:
                    carriers.append((m, "via_guideline", (guide.code,)))
                elif tagged:
                    carriers.append((m, "via_deliverables", tagged))
        out.append(ThemeView(row.code, g.names["pref"].get(row.group, Text(row.code, row.code)),
                             Tally.of(row.counts), tuple(carriers)))
    return tuple(out)


def _goals(g: _Graph, plan: Plan) -> tuple[GoalView, ...]:
    links: dict[int, list[LinkView]] = defaultdict(list)
    for c in g.comps.get(plan.iri, []):
        parent = g.by_iri.get(c.parent)
        for link in c.sdg_links:
            code = str(link.sdg)[len(_SDG):]
            agents = g.attributions.get(link.iri, ()) if link.iri is not None else ()
            links[_goal_number(link.sdg)].append(LinkView(
                _item(c), parent.code if parent is not None and c.kind == "deliverable" else "",
                code, g.names["pref"].get(link.sdg, Text()), link.stated,
                link.justification or "", agents, tuple(_agent_name(g, a) for a in agents)))
    tallies = {_goal_number(r.group): Tally.of(r.counts)
               for r in g.progress["sdg-goal"].get(plan.iri, [])}
    out = []
    for n in sorted(set(links) | set(tallies)):
        if not 1 <= n <= 17:
            continue
        goal = URIRef(f"{_SDG}{n}")
        out.append(GoalView(n, g.names["alt"].get(goal, Text()), g.names["pref"].get(goal, Text()),
                            tallies.get(n, Tally()), tuple(links.get(n, ()))))
    return tuple(out)


def _link(g: _Graph, r: Mapping[str, Any], relation: str) -> CycleLink:
    earlier = g.by_iri.get(r["earlier"])
    later = g.by_iri.get(r["item"]) if "item" in r else None
    kind = earlier.kind if earlier is not None else local(r.get("kind", "")).lower()
    return CycleLink(
        relation=relation, earlier_code=str(r["earlierCode"]),
        earlier_anchor=_anchor(str(r["earlierCode"])), earlier_plan=r["from"], earlier_kind=kind,
        earlier_text=Text(earlier.label("fr") or "", earlier.label("en") or "") if earlier
        else Text(str(r.get("label") or "")),
        end_status=_status(r["earlierStatus"], r["earlier"]) if kind == "deliverable"
        else None,
        later_code=str(r.get("code") or ""), later_anchor=_anchor(str(r.get("code") or "x")),
        later_plan=r.get("to"),
        current=later.status if isinstance(later, Deliverable) else None)


def _cycles(g: _Graph, plan: Plan) -> Cycles:
    into, onward = tuple(g.into.get(plan.iri, ())), tuple(g.onward.get(plan.iri, ()))
    mine = [p for p in g.plans if p.organisation == plan.organisation]
    before = [p for p in mine if (p.start_year or 0) < (plan.start_year or 0)]
    flows = []
    for rel in ("continues", "replaces", "splitFrom", "drops"):
        chosen = [x for x in into if x.relation == rel]
        if chosen:
            flows.append(Flow(rel, len({x.earlier_code for x in chosen}),
                              len({x.later_code for x in chosen if x.later_code})))
    index = {p.iri: i for i, p in enumerate(mine)}
    themes: dict[URIRef, list[int | None]] = {}
    for r in g.themes_over.get(plan.organisation, ()):
        if r["plan"] in index:
            themes.setdefault(r["theme"], [None] * len(mine))[index[r["plan"]]] = int(
                r["deliverables"])
    goals: dict[int, list[int | None]] = {}
    for p in mine:
        for row in g.progress["sdg-goal"].get(p.iri, []):
            goals.setdefault(_goal_number(row.group), [None] * len(mine))[index[p.iri]] = row.total
    return Cycles(
        previous=before[-1] if before else None, into=into, onward=onward, flows=tuple(flows),
        plans=tuple(mine),
        themes=tuple((g.names["pref"].get(t, Text(local(t), local(t))), tuple(v))
                     for t, v in sorted(themes.items())),
        goals=tuple((n, g.names["alt"].get(URIRef(f"{_SDG}{n}"), Text()), tuple(v))
                    for n, v in sorted(goals.items()) if n))


def _plan(g: _Graph, plan: Plan) -> PlanReport:
    rows = g.progress["plan"].get(plan.iri, [])
    outline = _outline(g, plan)
    org = g.names["pref"].get(plan.organisation) or Text(local(plan.organisation),
                                                         local(plan.organisation))
    return PlanReport(
        plan=plan, slug=f"{slug(local(plan.organisation))}-{slug(plan.cycle)}", organisation=org,
        title=Text(plan.title.get("fr", ""), plan.title.get("en", "")),
        recorded=Tally.of(rows[0].counts) if rows else Tally(),
        reported=g.reported.get(plan.iri), guidelines=outline,
        themes=_themes(g, plan, outline), goals=_goals(g, plan), cycles=_cycles(g, plan))


def _network(g: _Graph, reports: Sequence[PlanReport]) -> NetworkReport:
    by_org: dict[URIRef, list[PlanReport]] = defaultdict(list)
    for r in reports:
        by_org[r.plan.organisation].append(r)
    orgs = []
    theme_stats: dict[str, tuple[Text, set[URIRef], int, Tally]] = {}
    for iri, plans in by_org.items():
        goals = [0] * 17
        for p in plans:
            for goal in p.goals:
                goals[goal.number - 1] += goal.tally.total
            for t in p.themes:
                name, seen, n, tally = theme_stats.get(t.code, (t.name, set(), 0, Tally()))
                theme_stats[t.code] = (name, seen | {iri}, n + 1, tally + t.tally)
        orgs.append(OrgView(slug(local(iri)), plans[0].organisation, tuple(plans), tuple(goals),
                            tuple(sorted({t.code for p in plans for t in p.themes}))))
    return NetworkReport(
        organisations=tuple(orgs),
        themes=tuple((code, name, len(seen), n, tally)
                     for code, (name, seen, n, tally) in sorted(theme_stats.items())),
        goal_names=tuple(g.names["alt"].get(goal_of(URIRef(f"{_SDG}{n}")), Text(str(n), str(n)))
                         for n in range(1, 18)),
        tally=sum((r.recorded for r in reports), Tally()))


def build(kg: KnowledgeGraph, plan: str | None = None) -> tuple[list[PlanReport], NetworkReport]:
    """The report model of ``kg``: one :class:`PlanReport` per plan (only ``plan``, a cycle code
    or IRI, when given) and the :class:`NetworkReport` of every plan loaded."""
    g = _gather(kg)
    reports = [_plan(g, p) for p in g.plans]
    chosen = reports if plan is None else [r for r in reports if r.plan.iri == kg.plan(plan).iri]
    return chosen, _network(g, reports)

