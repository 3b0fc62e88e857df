"""The catalog: what exists in the customer data (tables and their join, events, event properties, contact
traits), each with a type, description, synonyms and sample values, and the business concepts defined over
them ("paying", "lifetime value"). Loaded from YAML; checks the AST, names the only identifiers the compiler
may emit, and feeds the model's prompt."""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from grammar import ast as A
from grammar.ast import Measure, check_name
from grammar.errors import SegmentError, read_yaml, validation_problems
from grammar.parser import parse, parse_measure

ValueType = Literal["string", "number", "boolean", "timestamp", "date"]
DEMO_CATALOG_PATH = Path(__file__).with_name("catalogs") / "demo.yaml"


class CatalogError(Exception):
    pass


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ValueType
    description: str = ""
    synonyms: list[str] = []
    values: list[str | int | float | bool] = []
    closed: bool = False  # values is the complete list: anything else is an error
    pii: bool = False     # masked in previews unless asked


class Trait(FieldSpec):
    column: str | None = None  # defaults to the trait's name


class Property(FieldSpec):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    column: str | None = None  # a typed column of the events table
    json_key: str | None = Field(default=None, alias="json")  # or a key of the JSON column

    @model_validator(mode="after")
    def _source(self) -> "Property":
        if self.column and self.json_key:
            raise ValueError("a property is either a column or a json key, not both")
        return self


class EventType(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    synonyms: list[str] = []
    properties: list[str] = []
    value: str | None = None  # the stored event name, when it is not a valid catalog name ("Order Completed")


class ContactsTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str = "contacts"
    id: str = "contact_id"
    created_at: str | None = None  # contacts created after as_of are not members yet


class EventsTable(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    table: str = "events"
    contact_id: str = "contact_id"
    name: str = "event"
    time: str = "occurred_at"
    json_column: str | None = Field(default=None, alias="json")


class Stat(BaseModel):
    """A preview statistic: a measure in DSL words, averaged over members ("orders per member")."""

    # The words are parsed once, when the catalog loads (a bad measure is a catalog error); the preview uses
    # the nodes. (A comment, not the docstring: the docstring is the JSON Schema's description.)
    model_config = ConfigDict(extra="forbid")

    label: str
    measure: str
    ratio_to: str | None = None  # a second measure: show sum(measure) / sum(ratio_to), e.g. an open rate
    _measure_node: Measure | None = PrivateAttr(default=None)
    _ratio_node: Measure | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _parse(self) -> "Stat":
        try:
            self._measure_node = parse_measure(self.measure)
            self._ratio_node = parse_measure(self.ratio_to) if self.ratio_to is not None else None
        except SegmentError as err:
            raise ValueError(f"stat {self.label!r}: {err.diagnostics[0].message}") from None
        return self

    @property
    def measure_node(self) -> Measure:
        return self._measure_node  # type: ignore[return-value]

    @property
    def ratio_node(self) -> Measure | None:
        return self._ratio_node


class Concept(BaseModel):
    """A business concept: a named condition ("paying": plan in ["pro", "team"]) or measure ("lifetime_value":
    total amount of order_completed) in the segment language, with the words people use for it."""

    # Parsed and checked against the catalog when the catalog loads (Catalog._concepts): translators use the
    # nodes. (A comment, not the docstring: the docstring is the JSON Schema's description.)
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    synonyms: list[str] = []
    dsl: str | None = None      # a condition
    measure: str | None = None  # or a per-contact measure
    _node: A.Condition | Measure | None = PrivateAttr(default=None)

    @property
    def node(self) -> A.Condition | Measure:
        return self._node  # type: ignore[return-value]

    @property
    def label(self) -> str:
        """What a read-back calls it: its first synonym ("paying customers")."""
        return self.synonyms[0] if self.synonyms else ""


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = "catalog"
    description: str = ""
    contacts: ContactsTable = ContactsTable()
    events_table: EventsTable = Field(default_factory=EventsTable, alias="event_source")
    traits: dict[str, Trait] = {}
    events: dict[str, EventType] = {}
    properties: dict[str, Property] = {}
    stats: list[Stat] = []
    concepts: dict[str, Concept] = {}

    @field_validator("traits", "events", "properties", "concepts")
    @classmethod
    def _names(cls, v: dict) -> dict:
        for name in v:
            check_name(name)
        return v

    @model_validator(mode="after")
    def _links(self) -> "Catalog":
        for event, spec in self.events.items():
            for prop in spec.properties:
                if prop not in self.properties:
                    raise ValueError(f"event {event!r} lists property {prop!r}, which is not under properties")
        for prop, spec in self.properties.items():
            if spec.json_key and not self.events_table.json_column:
                raise ValueError(f"property {prop!r} is a json key but event_source has no json column")
        return self

    @model_validator(mode="after")
    def _concepts(self) -> "Catalog":
        from grammar.check import check  # check reads catalogs: imported here, not at the top

        for name, concept in self.concepts.items():
            taken = next((kind for kind, names in (("event", self.events), ("trait", self.traits),
                                                   ("property", self.properties)) if name in names), None)
            if taken:
                raise ValueError(f"concept {name!r} has the name of a {taken}: concepts need names of their own")
            if (concept.dsl is None) == (concept.measure is None):
                raise ValueError(f"concept {name!r} needs either dsl (a condition) or measure, not both")
            try:
                node = parse(concept.dsl) if concept.dsl is not None else parse_measure(concept.measure or "")
            except SegmentError as err:
                raise ValueError(f"concept {name!r}: {err.diagnostics[0].message}") from None
            # a measure is checked as the measure of a rank: the same property, event and window checks
            probe = node if concept.dsl is not None else A.Rank(direction="top", amount=1, percent=False, measure=node)
            errors = [d for d in check(probe, self) if d.severity == "error"]
            if errors:
                raise ValueError(f"concept {name!r}: {errors[0].message}")
            concept._node = node
        return self

    # -- lookups
    def trait_column(self, name: str) -> str:
        return self.traits[name].column or name

    def property_source(self, name: str) -> tuple[str, str]:
        """('column', column name) or ('json', key)."""
        spec = self.properties[name]
        if spec.json_key:
            return "json", spec.json_key
        return "column", spec.column or name

    def event_value(self, event: str) -> str:
        """The value the event column holds for `event` (its catalog name unless the catalog says otherwise)."""
        return self.events[event].value or event

    def event_properties(self, event: str) -> list[str]:
        return self.events[event].properties if event in self.events else []

    def concept_labels(self) -> dict[str, A.Condition | Measure]:
        """What each concept is called in a read-back -> its definition (explain's `concepts`)."""
        return {c.label or name.replace("_", " "): c.node for name, c in self.concepts.items()}

    def suggest(self, name: str, choices: list[str]) -> str | None:
        """The closest known name, also matching synonyms ("purchase" -> order_completed)."""
        lowered = name.lower()
        for choice in choices:
            spec = self.events.get(choice) or self.traits.get(choice) or self.properties.get(choice)
            if spec is not None and lowered in (s.lower() for s in spec.synonyms):
                return choice
        close = difflib.get_close_matches(lowered, choices, n=1, cutoff=0.6)
        if close:
            return close[0]
        tail = [c for c in choices if len(lowered) >= 3 and (lowered in c or c in lowered)]
        return tail[0] if tail else None

    # -- persistence
    def to_yaml(self) -> str:
        """The catalog as YAML; with no concepts yet, a commented `concepts:` stub shows how to add them."""
        data = self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
        return text if self.concepts else text + _concepts_stub(self)


def _concepts_stub(catalog: Catalog) -> str:
    """Commented example concepts written with this catalog's own names, so uncommenting one loads."""
    flag = next((n for n, t in catalog.traits.items() if t.type == "boolean"), None)
    event = next((e for e, spec in catalog.events.items()
                  if any(catalog.properties[p].type == "number" for p in spec.properties)), None)
    amount = next((p for p in catalog.event_properties(event) if catalog.properties[p].type == "number"), None) \
        if event else None
    lines = ["# concepts: business words as named DSL fragments, checked against this catalog when it loads.",
             "# Translators read their synonyms; read-backs name them. Names must differ from traits, events and",
             "# properties. A concept has `dsl` (a condition) or `measure` (a per-contact number).",
             "# concepts:"]
    if flag:
        lines += [f"#   {flag}_yes:",
                  f"#     description: {flag.replace('_', ' ')} is true",
                  f"#     dsl: '{flag} = true'",
                  f"#     synonyms: [{flag.replace('_', ' ')} contacts]"]
    if event:
        lines += [f"#   {event}_customers:",
                  f"#     description: did {event} at least once",
                  f"#     dsl: 'did {event}'",
                  "#     synonyms: [existing customers]"]
    if event and amount:
        lines += ["#   lifetime_value:",
                  f"#     description: total {amount} of {event}",
                  f"#     measure: 'total {amount} of {event}'",
                  "#     synonyms: [lifetime value, ltv]"]
    return "\n".join(lines) + "\n"


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load a catalog YAML file (the demo catalog by default); CatalogError says what and where."""
    path = Path(path) if path else DEMO_CATALOG_PATH
    if path == DEMO_CATALOG_PATH:
        return _demo_catalog()
    return _load(path)


@lru_cache(maxsize=1)
def _demo_catalog() -> Catalog:
    return _load(DEMO_CATALOG_PATH)


def _load(path: Path) -> Catalog:
    data = read_yaml(path, CatalogError, "catalog")
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: a catalog is a YAML mapping with traits, events and properties")
    try:
        return Catalog.model_validate(data)
    except ValidationError as err:
        raise CatalogError(f"{path}: {validation_problems(err)}") from None
