"""Prompt building: a versioned template (assistant/translate/prompts/vN.md) filled from the catalog, the as-of
date, the current segment of a chat and the saved segments. Evals compare versions by name.

A template file has sections opened by HTML comments: `<!-- system -->`, `<!-- user -->`, optionally
`<!-- shots -->` (few-shot `request => definition` lines, sent as chat turns) and one
`<!-- protocol MODE -->` per answer mode (text, json, grammar, llguidance); `$names` are filled with
string.Template: $as_of, $catalog (one line per entry, the catalog's concepts last) or $catalog_brief (one line
per kind), $segments,
$protocol; in the user section $current and $request. Large catalogs are cut to the entries relevant to the request, so the prompt stays
small whatever the catalog's size.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from string import Template

from grammar.catalog import Catalog, Concept, EventType, FieldSpec

PROMPTS_DIR = Path(__file__).with_name("prompts")
# Up to this many catalog entries (traits + events + properties) the whole catalog goes in the prompt.
FULL_CATALOG_MAX = 40
MAX_EVENTS = 12
MAX_TRAITS = 12
MAX_CONCEPTS = 12
MAX_VALUES = 12  # sample values shown per field
_SECTION = re.compile(r"^<!-- (system|user|shots|protocol [a-z]+) -->\n", re.MULTILINE)
_WORD = re.compile(r"[a-z0-9]+")
_WORD_NAME = re.compile(r"[a-z_][a-z0-9_.]*")


class PromptError(Exception):
    pass


def list_prompt_versions() -> list[str]:
    return sorted(p.stem for p in PROMPTS_DIR.glob("v*.md"))


@lru_cache(maxsize=8)
def _sections(version: str) -> dict[str, str]:
    path = PROMPTS_DIR / f"{version}.md"
    if not path.is_file():
        raise PromptError(f"unknown prompt version {version!r} (have: {', '.join(list_prompt_versions())})")
    text = path.read_text()
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    missing = {"system", "user"} - set(sections)
    if missing:
        raise PromptError(f"{path}: missing section(s) {', '.join(sorted(missing))}")
    return sections


# ---- relevance -----------------------------------------------------------------------------------

def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower().replace("_", " "))}


_STOP = _words("a an the of in on at to for and or not with who that than by is are was were have has had "
               "did do does people customers contacts users them their our my last days day month months")


def _score(request_words: set[str], name: str, spec: FieldSpec | EventType | Concept) -> int:
    """Word overlap of the request with an entry; a hit on the name or a synonym weighs more."""
    strong = _words(name).union(*(_words(s) for s in spec.synonyms))
    weak = _words(spec.description).union(*(_words(str(v)) for v in getattr(spec, "values", [])))
    return 3 * len((strong - _STOP) & request_words) + len((weak - _STOP) & request_words)


def _pick(entries: dict, request_words: set[str], keep: set[str], limit: int) -> list[str]:
    """The best-matching entries up to `limit`, topped up in catalog order (catalogs list the common
    ones first), plus every entry in `keep`."""
    scores = {n: _score(request_words, n, spec) for n, spec in entries.items()}
    ranked = sorted(entries, key=lambda n: -scores[n])  # stable: ties stay in catalog order
    picked = ranked[:limit]
    picked += [n for n in keep if n in entries and n not in picked]
    return sorted(picked, key=list(entries).index)  # catalog order reads better than score order


def relevant_names(request: str, catalog: Catalog, current: str | None = None) -> tuple[list[str], list[str], list[str]]:
    """(traits, events, properties) to show for this request: everything for a small catalog; for a
    large one the best word matches, plus every name the current segment already uses."""
    total = len(catalog.traits) + len(catalog.events) + len(catalog.properties)
    if total <= FULL_CATALOG_MAX:
        return list(catalog.traits), list(catalog.events), list(catalog.properties)
    request_words = _words(request) - _STOP
    keep = set(_WORD_NAME.findall(current or ""))
    traits = _pick(catalog.traits, request_words, keep, MAX_TRAITS)
    events = _pick(catalog.events, request_words, keep, MAX_EVENTS)
    props = {p for e in events for p in catalog.event_properties(e)} | (keep & set(catalog.properties))
    properties = [p for p in catalog.properties if p in props]
    return traits, events, properties


def relevant_concepts(request: str, catalog: Catalog) -> list[str]:
    """The concepts to show: all of a few; of many, the best word matches."""
    if len(catalog.concepts) <= MAX_CONCEPTS:
        return list(catalog.concepts)
    return _pick(catalog.concepts, _words(request) - _STOP, set(), MAX_CONCEPTS)


def mentioned_concepts(request: str, catalog: Catalog, names: list[str]) -> list[str]:
    """Of `names`, the concepts the request says by name or synonym: the brief prompt (small models) lists
    only these, since every extra line there pulls a small model off the request (a 135M model read
    "haven't opened an email" as email_unsubscribed once all concepts were listed)."""
    text = f" {' '.join(re.findall(r'[a-z0-9]+', request.lower()))} "
    return [n for n in names if any(f" {' '.join(re.findall(r'[a-z0-9]+', s.lower()))} " in text
                                    for s in [catalog.concepts[n].label or n.replace("_", " "),
                                              *catalog.concepts[n].synonyms])]


# ---- rendering -----------------------------------------------------------------------------------

def _values(spec: FieldSpec) -> str:
    if not spec.values:
        return ""
    shown = ", ".join(str(v) for v in spec.values[:MAX_VALUES])
    more = ", ..." if len(spec.values) > MAX_VALUES else ""
    return f"; {'only ' if spec.closed else 'e.g. '}{shown}{more}"


def _synonyms(synonyms: list[str]) -> str:
    return f" (also said: {', '.join(synonyms)})" if synonyms else ""


def render_catalog(catalog: Catalog, traits: list[str], events: list[str], properties: list[str],
                   concepts: list[str] = ()) -> str:
    lines = ["Contact traits (name, type, meaning):"]
    for name in traits:
        spec = catalog.traits[name]
        lines.append(f"- {name} ({spec.type}{_values(spec)}): {spec.description}{_synonyms(spec.synonyms)}")
    lines.append("Events (name: meaning; properties):")
    for name in events:
        spec = catalog.events[name]
        props = f"; properties: {', '.join(spec.properties)}" if spec.properties else ""
        lines.append(f"- {name}: {spec.description}{_synonyms(spec.synonyms)}{props}")
    if properties:
        lines.append("Event properties (name, type, meaning):")
        for name in properties:
            spec = catalog.properties[name]
            lines.append(f"- {name} ({spec.type}{_values(spec)}): {spec.description}{_synonyms(spec.synonyms)}")
    if concepts:
        lines.append("Concepts (business words: write their definition where the request says them):")
        for name in concepts:
            c = catalog.concepts[name]
            kind = "condition" if c.dsl is not None else "measure"
            lines.append(f"- {name} ({kind}: {c.dsl or c.measure}): {c.description}{_synonyms(c.synonyms)}")
    return "\n".join(lines) + "\n"


def render_catalog_brief(catalog: Catalog, traits: list[str], events: list[str], properties: list[str],
                         concepts: list[str] = ()) -> str:
    """One line per kind, for small models with short contexts."""
    def item(name: str, spec: FieldSpec) -> str:
        shown = ", ".join(str(v) for v in spec.values[:MAX_VALUES]) if spec.values else spec.type
        return f"{name} ({shown})"

    lines = ["traits: " + "; ".join(item(n, catalog.traits[n]) for n in traits),
             "events: " + "; ".join(f"{n} ({', '.join(catalog.events[n].synonyms[:3]) or catalog.events[n].description})"
                                    for n in events)]
    if properties:
        lines.append("event properties: " + "; ".join(item(n, catalog.properties[n]) for n in properties))
    if concepts:
        lines.append("concepts: " + "; ".join(f"{catalog.concepts[n].label or n} = "
                                              f"{catalog.concepts[n].dsl or catalog.concepts[n].measure}"
                                              for n in concepts))
    return "\n".join(lines) + "\n"


def _segments_text(segments: dict[str, str] | None) -> str:
    if not segments:
        return ""
    lines = ['Saved segments (use with `in segment "name"`):']
    lines += [f"- {name}: {dsl}" for name, dsl in segments.items()]
    return "\n".join(lines) + "\n"


def build_messages(request: str, catalog: Catalog, as_of: datetime, current: str | None = None,
                   segments: dict[str, str] | None = None, version: str = "v1", mode: str = "text") -> list[dict]:
    """Chat messages (system + user) for one request. `current` is the segment being refined in a chat."""
    sections = _sections(version)
    protocol = sections.get(f"protocol {mode}")
    if protocol is None:
        raise PromptError(f"prompt {version} has no answer protocol for mode {mode!r}")
    traits, events, properties = relevant_names(request, catalog, current)
    concepts = relevant_concepts(request, catalog)
    system = Template(sections["system"]).substitute(
        as_of=as_of.strftime("%Y-%m-%d %H:%M:%S (%A)"),
        catalog=render_catalog(catalog, traits, events, properties, concepts),
        catalog_brief=render_catalog_brief(catalog, traits, events, properties,
                                           mentioned_concepts(request, catalog, concepts)),
        segments=_segments_text(segments),
        protocol=protocol.strip(),
    )
    current_text = (f"The current segment is:\n{current}\nChange it as the request says and answer with the "
                    f"whole new definition.\n") if current else ""
    user = Template(sections["user"]).substitute(current=current_text, request=request.strip())
    return [{"role": "system", "content": system.strip() + "\n"}, *_shots(sections.get("shots", ""), mode),
            {"role": "user", "content": user.strip()}]


def _shots(text: str, mode: str) -> list[dict]:
    """Few-shot examples as chat turns (`request => definition` lines): small models copy the shape of
    earlier assistant turns far better than they follow instructions."""
    messages: list[dict] = []
    for line in text.strip().splitlines():
        request, _, dsl = line.partition(" => ")
        if not dsl:
            continue
        answer = dsl.strip()
        if mode == "json":
            answer = json.dumps({"dsl": answer, "assumptions": [], "question": None, "refusal": None})
        messages += [{"role": "user", "content": request.strip()}, {"role": "assistant", "content": answer}]
    return messages
