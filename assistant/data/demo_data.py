"""Deterministic generator of the demo DuckDB store (DESIGN.md, "Demo dataset (DuckDB) — a fixed contract").

One module on purpose, though long: the archetypes, the event streams they draw and the guarantees listed
below are one contract with one seed; split apart, a change to one would silently break another's guarantee.

People are drawn from behaviour archetypes in fixed shares (see ``ARCHETYPES``); every chunk of contacts gets
its quota of each, so even 1,000 contacts hold every archetype. At the as-of instant the store then holds, by
construction, members of each of these segments, and none of them is everyone:

* VIPs: 5+ order_completed (every VIP archetype contact); the top 10% by total order amount (about half the
  contacts have orders).
* regular buyers (2 to 5 orders); one-time buyers (exactly one order, placed 60+ days ago); recent buyers (an
  order in the last 60 days); at-risk (last order between 60 and 120 days ago).
* cart abandoners: cart_added in the last 7 days and no order_completed after it; every order is preceded
  by product_viewed, cart_added (under a day before) and checkout_started, so others added to cart and did
  order within a day.
* ghosts: email_delivered events but no email_opened / email_clicked in 90 days and no order in 180 days.
* new signups: signup_at in the last 7 days (about 4% of contacts).
* trial power users: plan 'trial' and feature_used with 3+ distinct properties.feature in the last 14 days.
* high-intent clickers: email_clicked with url '/pricing' or '/demo' in the last 30 days.
* inactive app users (app_opened before, none in the last 30 days) and active app users.
* sale-waiters: most of their orders have discounted = true.
* regular monthly buyers (an order in at least 3 of the last 4 30-day periods); people who stopped (events
  before, none at all in the last 30+ days); people who restarted (an event after a gap of 60+ days with no
  event at all).
* page_viewed '/pricing' followed by trial_started within 3 days.
* birthdays: about 80% of contacts have one (1950 to 2005), some within the 7 days after November 1.

Same seed and size give identical table contents: contacts are simulated in chunks of ``CHUNK``, each from
its own generator derived from (seed, chunk index); event ids follow (contact, time). The events table is stored
in (event, occurred_at, event_id) order, the way every compiled query filters it (``event = ... AND occurred_at
>= ...``): DuckDB then skips the row groups outside a filter's (event, window) slice by their min/max zone maps.
The order is physical only: no query result depends on it, and stores in any other order work unchanged.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np

AS_OF = datetime(2026, 11, 1)  # naive UTC as-of instant
CHUNK = 50_000
HISTORY_DAYS = 730

DAY = 86_400
HOUR = 3_600
MONTH = 30 * DAY
_AS_OF_NP = np.datetime64(AS_OF, "s")

EVENTS = (
    "page_viewed", "product_viewed", "cart_added", "checkout_started", "order_completed",
    "email_delivered", "email_opened", "email_clicked", "email_unsubscribed", "sms_clicked", "push_opened",
    "app_opened", "feature_used", "trial_started", "subscription_started", "form_submitted",
    "content_downloaded",
)  # fmt: skip
CHANNELS = ("web", "app", "email", "sms", "push")
WEB, APP, EMAIL, SMS, PUSH = range(1, 6)  # channel codes (0 is NULL)
CATEGORIES = ("shoes", "apparel", "accessories", "electronics", "home", "beauty", "flowers")
PLANS = ("free", "trial", "pro", "team")
FEATURES = ("reports", "dashboards", "integrations", "exports", "automations")
FORMS = ("contact", "newsletter", "demo_request")
ASSETS = ("Segmentation Playbook", "Email Benchmarks 2026", "Holiday Marketing Checklist", "State of Retail 2026")
PLATFORMS = ("ios", "android")

COUNTRIES = {  # ISO code: (weight, cities)
    "US": (0.30, ("New York", "San Francisco", "Chicago", "Austin")),
    "GB": (0.10, ("London", "Manchester")),
    "DE": (0.09, ("Berlin", "Munich", "Hamburg")),
    "FR": (0.08, ("Paris", "Lyon")),
    "ES": (0.05, ("Madrid", "Barcelona")),
    "IT": (0.05, ("Rome", "Milan")),
    "NL": (0.04, ("Amsterdam", "Rotterdam")),
    "IN": (0.08, ("Bengaluru", "Mumbai")),
    "BR": (0.06, ("São Paulo", "Rio de Janeiro")),
    "CA": (0.06, ("Toronto", "Vancouver")),
    "AU": (0.05, ("Sydney", "Melbourne")),
    "JP": (0.04, ("Tokyo", "Osaka")),
}

FIRST_NAMES = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Sarah",
    "Emily", "Daniel", "Jessica", "Matthew", "Ashley", "Chris", "Amanda", "Ryan", "Megan", "Kevin",
    "Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Freya", "Noah", "Zoë",
    "Lukas", "Anna", "Felix", "Lena", "Jonas", "Mia", "Leon", "Hannah", "Jürgen", "Søren",
    "Louis", "Chloé", "Hugo", "Camille", "Léa", "Jules", "Manon", "François", "Inès", "Théo",
    "José", "Lucía", "Javier", "Carmen", "Sofía", "Pablo", "Marta", "Giulia", "Marco", "Francesca",
    "Luca", "Chiara", "Matteo", "Daan", "Sanne", "Bram", "Femke", "Łukasz", "Zofia", "Małgorzata",
    "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Diya", "Arjun", "Kavya", "João", "Ana",
    "Gabriel", "Beatriz", "Rafael", "Larissa", "Liam", "Charlotte", "Ethan", "Olivia", "Lachlan", "Matilda",
    "Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Mohammed", "Fatima", "Omar", "Ngozi",
)  # fmt: skip
LAST_NAMES = (
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "martinez", "lopez",
    "wilson", "taylor", "thomas", "moore", "martin", "lee", "clark", "walker", "young", "king",
    "muller", "schmidt", "schneider", "fischer", "weber", "dubois", "moreau", "laurent", "fernandez", "rossi",
    "russo", "bianchi", "devries", "jansen", "nowak", "kowalski", "sharma", "patel", "singh", "silva",
    "santos", "oliveira", "tremblay", "roy", "nguyen", "sato", "suzuki", "tanaka", "okafor", "hassan",
)  # fmt: skip

_BLOG = ("/blog/segmentation-101", "/blog/email-timing", "/blog/black-friday-playbook",
         "/blog/retention-metrics", "/blog/customer-journeys", "/blog/winback-campaigns")
_DOCS = ("/docs/getting-started", "/docs/segments", "/docs/integrations", "/docs/api")
URLS = ("/", "/pricing", "/demo", "/features", "/sale", "/about", *_BLOG, *_DOCS)


def _weights(**by_url: float) -> np.ndarray:
    """A probability row over URLS; '/blog' and '/docs' spread evenly over their pages."""
    row = np.zeros(len(URLS))
    for key, weight in by_url.items():
        pages = [i for i, url in enumerate(URLS) if url == key or url.startswith(key + "/")]
        row[pages] = weight / len(pages)
    return row / row.sum()


_PAGE_URLS = _weights(**{"/": 25, "/pricing": 9, "/demo": 4, "/features": 10, "/sale": 4, "/about": 3,
                         "/blog": 30, "/docs": 15})

# Campaigns: sent on a fixed calendar (kind NEWSLETTER/PRODUCT/PROMO) or triggered (WELCOME/TRIAL).
NEWSLETTER, PRODUCT, PROMO, WELCOME, TRIAL = range(5)
_LINKS = np.stack([  # email link urls by campaign kind
    _weights(**{"/blog": 60, "/features": 15, "/pricing": 10, "/demo": 5, "/": 10}),
    _weights(**{"/features": 40, "/docs": 30, "/pricing": 15, "/demo": 15}),
    _weights(**{"/sale": 70, "/": 30}),
    _weights(**{"/": 30, "/features": 30, "/pricing": 25, "/demo": 15}),
    _weights(**{"/pricing": 40, "/demo": 30, "/docs/getting-started": 30}),
])
_PROMOS = {  # campaign: send dates; "Sale" and "Black Friday" campaigns open a discount window
    "Black Friday 2024": ("2024-11-26", "2024-11-29"),
    "Holiday Gift Guide 2024": ("2024-12-05", "2024-12-12"),
    "Valentine's Day 2025": ("2025-02-06", "2025-02-12"),
    "Spring Sale 2025": ("2025-03-20", "2025-03-27"),
    "Mother's Day 2025": ("2025-05-01",),
    "Summer Sale 2025": ("2025-07-01", "2025-07-08"),
    "Back to School 2025": ("2025-08-14",),
    "Black Friday 2025": ("2025-11-25", "2025-11-28"),
    "Holiday Gift Guide 2025": ("2025-12-04", "2025-12-11"),
    "Valentine's Day 2026": ("2026-02-05", "2026-02-11"),
    "Spring Sale 2026": ("2026-03-19", "2026-03-26"),
    "Mother's Day 2026": ("2026-04-30",),
    "Summer Sale 2026": ("2026-07-01", "2026-07-08"),
    "Back to School 2026": ("2026-08-13",),
    "Autumn Sale 2026": ("2026-10-15", "2026-10-22"),
}
CAMPAIGNS = ("Welcome Series", "Weekly Newsletter", "Trial Onboarding", "Product Update", *_PROMOS)


def _secs(day: datetime, hour: int = 0) -> int:
    """Seconds from AS_OF to `day` at `hour` (negative in the past)."""
    return int((day - AS_OF).total_seconds()) + hour * HOUR


def _calendar() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scheduled sends (time, campaign code, kind) in time order, and the discount windows (n x 2)."""
    sends = []
    for offset in range(HISTORY_DAYS, 0, -1):
        day = AS_OF - timedelta(days=offset)
        if day.weekday() == 1:  # the newsletter goes out every Tuesday afternoon
            sends.append((_secs(day, 14), CAMPAIGNS.index("Weekly Newsletter") + 1, NEWSLETTER))
        if day.weekday() == 3 and day.day <= 7:  # product updates on the first Thursday of the month
            sends.append((_secs(day, 16), CAMPAIGNS.index("Product Update") + 1, PRODUCT))
    windows = []
    for name, dates in _PROMOS.items():
        days = [datetime.fromisoformat(d) for d in dates]
        sends += [(_secs(d, 8), CAMPAIGNS.index(name) + 1, PROMO) for d in days]
        if "Sale" in name or "Black Friday" in name:
            windows.append((_secs(days[0]), _secs(days[-1]) + 7 * DAY))
    sends = [s for s in sorted(sends) if s[0] < 0]
    times, camps, kinds = (np.array(col, dtype=np.int64) for col in zip(*sends))
    return times, camps, kinds, np.array(sorted(windows), dtype=np.int64)


_SEND_T, _SEND_CAMP, _SEND_KIND, _SALES = _calendar()
_PROMO_SENDS = np.flatnonzero(_SEND_KIND == PROMO)

# Every properties value is one of these small objects (items on orders, plan on subscription_started).
_PROPERTY_VALUES = {"feature": FEATURES, "form": FORMS, "asset": ASSETS, "items": range(1, 6),
                    "plan": ("pro", "team"), "platform": PLATFORMS}
PROPERTIES = tuple(
    json.dumps({key: value}, ensure_ascii=False, separators=(",", ":"))
    for key, values in _PROPERTY_VALUES.items()
    for value in values
)
# key: code of its first value (codes are 1-based, 0 is NULL)
_PROP = dict(zip(_PROPERTY_VALUES, accumulate((len(v) for v in _PROPERTY_VALUES.values()), initial=1)))

# Typical item price per category (USD), used for product views, cart adds and order values.
_PRICE = np.array([80, 45, 30, 220, 60, 25, 40], dtype=float)


class Archetype(NamedTuple):
    name: str
    share: float
    signup_days: tuple[float, float]  # signed up between this many days before AS_OF (oldest, newest)
    plans: tuple[float, float, float, float]  # weights of free, trial, pro, team
    app: float  # share using the mobile app
    app_rate: float  # app opens per 30 days
    opens: float  # chance to open a delivered email
    clicks: float  # chance to click an opened email
    browse: float  # page and product views per 30 days
    order_value: float  # median order value (USD)


ARCHETYPES = (
    Archetype("vip", 0.05, (730, 300), (0.4, 0, 0.35, 0.25), 0.8, 2.5, 0.55, 0.35, 1.6, 160),
    Archetype("regular", 0.14, (730, 120), (0.8, 0, 0.15, 0.05), 0.5, 1, 0.35, 0.2, 0.6, 55),
    Archetype("one_time", 0.10, (730, 90), (0.9, 0, 0.1, 0), 0.3, 0.5, 0.2, 0.1, 0.3, 45),
    Archetype("at_risk", 0.05, (730, 200), (0.8, 0, 0.15, 0.05), 0.5, 1, 0.25, 0.15, 0.6, 55),
    Archetype("sale_waiter", 0.04, (700, 300), (0.9, 0, 0.1, 0), 0.4, 0.5, 0.4, 0.25, 0.4, 70),
    Archetype("cart_abandoner", 0.06, (730, 30), (0.85, 0, 0.1, 0.05), 0.5, 1, 0.3, 0.15, 1, 55),
    Archetype("ghost", 0.07, (730, 240), (0.95, 0, 0.05, 0), 0.2, 0.3, 0.15, 0.05, 0.3, 45),
    Archetype("churned", 0.03, (730, 200), (0.9, 0, 0.1, 0), 0.3, 0.6, 0.2, 0.1, 0.6, 50),
    Archetype("reactivated", 0.03, (730, 420), (0.8, 0, 0.15, 0.05), 0.4, 1, 0, 0, 0.8, 60),
    Archetype("trial_power", 0.03, (28, 5), (0, 1, 0, 0), 0.7, 6, 0.7, 0.5, 3, 50),
    Archetype("new_signup", 0.04, (7, 0.05), (0.6, 0.4, 0, 0), 0.3, 2.5, 0.6, 0.3, 5, 40),
    Archetype("window_shopper", 0.10, (730, 30), (0.95, 0, 0.05, 0), 0.4, 0.6, 0.25, 0.1, 1.6, 50),
    Archetype("saas_customer", 0.06, (730, 60), (0, 0, 0.6, 0.4), 0.6, 1.8, 0.4, 0.25, 0.4, 50),
    Archetype("low_activity", 0.20, (730, 8), (0.95, 0, 0.05, 0), 0.15, 0.3, 0.12, 0.05, 0.15, 40),
)  # fmt: skip
(VIP, REGULAR, ONE_TIME, AT_RISK, SALE_WAITER, CART_ABANDONER, GHOST, CHURNED, REACTIVATED, TRIAL_POWER,
 NEW_SIGNUP, WINDOW_SHOPPER, SAAS_CUSTOMER, LOW_ACTIVITY) = range(len(ARCHETYPES))  # fmt: skip
# Archetype parameters as arrays, so `_A["opens"][arch]` gives each contact's value.
_A = {field: np.array([getattr(a, field) for a in ARCHETYPES]) for field in Archetype._fields[1:]}

CONTACTS_DDL = """CREATE TABLE contacts (
    contact_id BIGINT PRIMARY KEY, email VARCHAR, first_name VARCHAR, country VARCHAR, city VARCHAR,
    plan VARCHAR, signup_at TIMESTAMP, birthday DATE, email_consent BOOLEAN, sms_consent BOOLEAN)"""
EVENTS_DDL = """CREATE TABLE events (
    event_id BIGINT PRIMARY KEY, contact_id BIGINT, event VARCHAR, occurred_at TIMESTAMP, channel VARCHAR,
    product_category VARCHAR, amount DECIMAL(12,2), discounted BOOLEAN, url VARCHAR, campaign VARCHAR,
    properties JSON)"""
# Chunks carry small integer codes; SQL looks them up in the vocabularies (code 0 / -1 is NULL, lists are 1-based).
_INSERT_CONTACTS = """INSERT INTO contacts SELECT
    contact_id,
    list_extract($first_ascii, first_name) || '.' || list_extract($last_names, last_name)
        || contact_id::VARCHAR || '@example.com',
    list_extract($first_names, first_name), list_extract($countries, country), list_extract($cities, city),
    list_extract($plans, plan), signup_at::TIMESTAMP, birthday::DATE, email_consent, sms_consent
FROM contacts_chunk"""
_INSERT_EVENTS = """INSERT INTO staged.events SELECT
    event_id, contact_id, list_extract($events, event), occurred_at::TIMESTAMP,
    list_extract($channels, nullif(channel, 0)), list_extract($categories, nullif(category, 0)),
    (nullif(cents, -1) / 100)::DECIMAL(12,2), CASE discounted WHEN 1 THEN true WHEN 0 THEN false END,
    list_extract($urls, nullif(url, 0)), list_extract($campaigns, nullif(campaign, 0)),
    list_extract($properties::JSON[], nullif(properties, 0))
FROM events_chunk"""
# Chunks are staged in contact order in a scratch file; the table is then written once, clustered by what the
# compiled queries filter on. The sort spills to disk past SORT_MEMORY, so memory stays bounded at any size.
EVENTS_ORDER = "event, occurred_at, event_id"
SORT_MEMORY = "1GB"


def _ascii(text: str) -> str:
    text = text.translate(str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o"}))
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


_CITIES = [(i, city) for i, (_, cities) in enumerate(COUNTRIES.values()) for city in cities]
_CITY_START = np.searchsorted([i for i, _ in _CITIES], np.arange(len(COUNTRIES)))
_CITY_COUNT = np.array([len(cities) for _, cities in COUNTRIES.values()])
_COUNTRY_P = np.array([w for w, _ in COUNTRIES.values()])
_COUNTRY_P = _COUNTRY_P / _COUNTRY_P.sum()
_LOOKUPS = {
    "contacts": {
        "first_ascii": [_ascii(n) for n in FIRST_NAMES], "first_names": list(FIRST_NAMES),
        "last_names": list(LAST_NAMES), "countries": list(COUNTRIES), "cities": [c for _, c in _CITIES],
        "plans": list(PLANS),
    },
    "events": {
        "events": list(EVENTS), "channels": list(CHANNELS), "categories": list(CATEGORIES), "urls": list(URLS),
        "campaigns": list(CAMPAIGNS), "properties": list(PROPERTIES),
    },
}


def generate(
    path: str | Path,
    contacts: int = 20_000,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Write the demo store to `path` (replacing it) and return {"contacts", "events", "path"}."""
    if contacts < 1:
        raise ValueError(f"contacts must be at least 1, got {contacts}")
    path = Path(path)
    partial = path.with_name(path.name + ".partial")  # an interrupted run never leaves a half-written store
    staged = partial.with_name(partial.name + ".staged")
    for stale in (partial, staged, *(p.with_name(p.name + ".wal") for p in (partial, staged))):
        stale.unlink(missing_ok=True)
    n_events = 0
    with duckdb.connect(str(partial)) as con:
        con.execute("SET enable_progress_bar = false")  # the caller shows progress
        con.execute(CONTACTS_DDL)
        con.execute(EVENTS_DDL)
        con.execute("ATTACH ? AS staged", [str(staged)])
        con.execute("CREATE TABLE staged.events AS SELECT * FROM events LIMIT 0")
        for index, first in enumerate(range(0, contacts, CHUNK)):
            n = min(CHUNK, contacts - first)
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))
            people, events = _simulate(rng, n)
            people["contact_id"] = np.arange(first + 1, first + n + 1, dtype=np.int64)
            events["contact_id"] += first + 1
            events["event_id"] = np.arange(n_events + 1, n_events + len(events["event"]) + 1, dtype=np.int64)
            n_events += len(events["event"])
            for table, columns, sql in (("contacts", people, _INSERT_CONTACTS), ("events", events, _INSERT_EVENTS)):
                con.register(f"{table}_chunk", columns)
                con.execute(sql, _LOOKUPS[table])
                con.unregister(f"{table}_chunk")
            if progress:
                progress(first + n, contacts)
        con.execute(f"SET memory_limit = '{SORT_MEMORY}'")
        con.execute(f"INSERT INTO events SELECT * FROM staged.events ORDER BY {EVENTS_ORDER}")
        con.execute("DETACH staged")
        con.execute("CHECKPOINT")
    staged.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
    partial.replace(path)
    return {"contacts": contacts, "events": n_events, "path": str(path)}


def _between(rng: np.random.Generator, lo, hi, size: int | None = None) -> np.ndarray:
    """Uniform whole seconds in [lo, hi], elementwise (`size` of them for scalar bounds); `lo` where empty."""
    shape = np.broadcast_shapes(np.shape(lo), np.shape(hi), () if size is None else (size,))
    lo, hi = (np.broadcast_to(np.asarray(bound, dtype=np.int64), shape) for bound in (lo, hi))
    span = np.maximum(hi - lo, 0)
    return lo + (rng.random(lo.shape) * (span + 1)).astype(np.int64)


def _pick(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One 0-based choice per row of a (rows x options) probability matrix."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), weights.shape[1] - 1)


def _quota(n: int) -> np.ndarray:
    """Contacts per archetype: shares of n by largest remainder, at least one each when n allows."""
    raw = _A["share"] / _A["share"].sum() * n
    counts = np.floor(raw).astype(np.int64)
    counts[np.argsort(counts - raw, kind="stable")[: n - counts.sum()]] += 1
    if n >= len(counts):
        for empty in np.flatnonzero(counts == 0):
            counts[np.argmax(counts)] -= 1
            counts[empty] = 1
    return counts


class _Events:
    """Columnar event parts: who (chunk-local contact index), t (seconds from AS_OF) and codes."""

    NULLS = {"channel": 0, "category": 0, "cents": -1, "discounted": -1, "url": 0, "campaign": 0, "properties": 0}
    DTYPES = {"channel": np.int8, "category": np.int8, "cents": np.int64, "discounted": np.int8,
              "url": np.int8, "campaign": np.int8, "properties": np.int8}

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, who: np.ndarray, t: np.ndarray, event: str, **columns) -> None:
        n = len(who)
        part = {"who": who, "t": t, "event": np.full(n, EVENTS.index(event) + 1, dtype=np.int8)}
        for name, null in self.NULLS.items():
            part[name] = np.broadcast_to(np.asarray(columns.pop(name, null), dtype=self.DTYPES[name]), (n,))
        assert not columns, f"unknown event columns {sorted(columns)}"
        self.parts.append(part)

    def columns(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate([p[name] for p in self.parts]) for name in self.parts[0]}


def _simulate(rng: np.random.Generator, n: int) -> tuple[dict, dict]:
    """Contacts and events (time-ordered per contact) of one chunk, contact indexes 0..n-1."""
    sim = _Simulation(rng, n)
    return sim.people, sim.finish()


class _Simulation:
    """One chunk of contacts: their traits and timelines first, then each event stream added to `events`."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng, self.n = rng, n
        self.events = _Events()
        self._people()
        self._orders()
        self._saas()
        self._email()
        self._other_channels()
        self._browsing()

    def _is(self, *archetypes: int) -> np.ndarray:
        return np.isin(self.arch, archetypes)

    def _spread(self, counts, lo, hi) -> tuple[np.ndarray, np.ndarray]:
        """`counts[i]` uniform times in [lo[i], hi[i]] for each contact i: (who, t)."""
        lo, hi = np.broadcast_to(lo, (self.n,)), np.broadcast_to(hi, (self.n,))
        counts = np.where(hi > lo, np.broadcast_to(counts, (self.n,)), 0).astype(np.int64)
        who = np.repeat(np.arange(self.n), counts)
        return who, _between(self.rng, lo[who], hi[who])

    def _monthly(self, rate, lo, hi) -> np.ndarray:
        """Poisson counts for `rate` events per 30 days over [lo, hi]."""
        return self.rng.poisson(np.asarray(rate) * np.maximum(hi - lo, 0) / MONTH)

    def _people(self) -> None:
        rng, n = self.rng, self.n
        self.arch = arch = rng.permutation(np.repeat(np.arange(len(ARCHETYPES)), _quota(n)))
        oldest, newest = (np.array([a.signup_days[i] for a in ARCHETYPES])[arch] * DAY for i in (0, 1))
        self.signup = signup = -_between(rng, newest, oldest)
        self.plan = _pick(rng, np.array([a.plans for a in ARCHETYPES])[arch])
        country = rng.choice(len(COUNTRIES), size=n, p=_COUNTRY_P)
        city = _CITY_START[country] + (rng.random(n) * _CITY_COUNT[country]).astype(np.int64)
        year = rng.integers(1950, 2006, n)
        jan1 = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        days_in_year = (year - 1969).astype("datetime64[Y]").astype("datetime64[D]") - jan1
        birthday = jan1 + (rng.random(n) * days_in_year.astype(np.int64)).astype("timedelta64[D]")
        birthday[rng.random(n) >= 0.8] = np.datetime64("NaT")

        # Unsubscribers got email until they left; churned people all unsubscribed as they went quiet, and
        # reactivated people never opted in, so their gap is free of deliveries too.
        consent = (rng.random(n) < 0.9) & ~self._is(REACTIVATED)
        self.unsubscribed = (consent & (rng.random(n) < 0.03)) | self._is(CHURNED)
        self.receives_email = consent | self.unsubscribed
        self.quiet_from = np.zeros(n, dtype=np.int64)  # no events at all in [quiet_from, quiet_until)
        self.quiet_until = np.zeros(n, dtype=np.int64)
        self.active_until = np.full(n, -1, dtype=np.int64)  # browsing, app, sms and push stop here
        self.opens_until = np.zeros(n, dtype=np.int64)  # emails delivered after this are never opened

        churned = self._is(CHURNED)
        end = _between(rng, signup + 30 * DAY, -35 * DAY)
        self.quiet_from[churned], self.quiet_until[churned] = end[churned], 1
        self.active_until[churned] = end[churned]
        self.email_until = np.where(self.unsubscribed, _between(rng, signup, 0), 1)
        self.email_until[churned] = end[churned] - 2 * HOUR

        react = self._is(REACTIVATED)
        self.gap_start = _between(rng, -360 * DAY, -150 * DAY, n)
        self.gap_end = np.minimum(self.gap_start + _between(rng, 70 * DAY, 200 * DAY, n), -20 * DAY)
        self.quiet_from[react], self.quiet_until[react] = self.gap_start[react], self.gap_end[react]

        ghost = self._is(GHOST)
        self.active_until[ghost] = -_between(rng, 180 * DAY, 400 * DAY, n)[ghost]
        self.opens_until[ghost] = -_between(rng, 95 * DAY, 300 * DAY, n)[ghost]

        # At-risk people lose interest soon after their last order, 62-118 days ago.
        at_risk = self._is(AT_RISK)
        self.last_order = _between(rng, -118 * DAY, -62 * DAY, n)
        fade = np.minimum(self.last_order + _between(rng, 0, 20 * DAY, n), -35 * DAY)
        self.active_until[at_risk] = self.opens_until[at_risk] = fade[at_risk]

        self.app_user = rng.random(n) < _A["app"][arch]
        self.app_from = _between(rng, signup, signup + 30 * DAY)
        lapsed = rng.random(n) < 0.25  # some app users stopped opening the app a while ago
        self.app_until = np.minimum(np.where(lapsed, _between(rng, self.app_from, -31 * DAY), 0), self.active_until)
        self.favourite = rng.integers(0, len(CATEGORIES), n)
        self.platform = rng.integers(0, len(PLATFORMS), n)
        self.people = {
            "first_name": rng.integers(1, len(FIRST_NAMES) + 1, n).astype(np.int16),
            "last_name": rng.integers(1, len(LAST_NAMES) + 1, n).astype(np.int16),
            "country": (country + 1).astype(np.int8),
            "city": (city + 1).astype(np.int8),
            "plan": (self.plan + 1).astype(np.int8),
            "signup_at": _AS_OF_NP + signup.astype("timedelta64[s]"),
            "birthday": birthday.astype("datetime64[s]"),
            "email_consent": consent & ~self.unsubscribed,
            "sms_consent": rng.random(n) < 0.3,
        }

    def _orders(self) -> None:
        rng, n, signup = self.rng, self.n, self.signup
        placed = []

        def place(mask, count, lo, hi) -> None:
            placed.append(self._spread(np.where(mask, count, 0), lo, hi))

        vip = self._is(VIP)
        place(vip, 5 + rng.poisson(6, n), signup, -120 * DAY)
        for period in range(4):  # most VIPs order in each of the last four 30-day periods
            place(vip & (rng.random(n) < 0.85), 1, -(period + 1) * MONTH, -period * MONTH - 1)
        place(self._is(REGULAR), rng.integers(2, 6, n), signup, -1)
        place(self._is(ONE_TIME), 1, signup, -60 * DAY - HOUR)
        at_risk = self._is(AT_RISK)
        place(at_risk, 1, self.last_order, self.last_order + 1)
        place(at_risk, rng.integers(1, 6, n), signup, self.last_order - DAY)
        place(self._is(CART_ABANDONER), rng.integers(0, 3, n), signup, -14 * DAY)
        place(self._is(GHOST), rng.random(n) < 0.4, signup, -200 * DAY)
        place(self._is(CHURNED), rng.integers(1, 5, n), signup, self.quiet_from - HOUR)
        react = self._is(REACTIVATED)
        place(react, rng.integers(1, 3, n), signup, self.gap_start - DAY)
        place(react, rng.integers(1, 3, n), self.gap_end + HOUR, -1)
        place(self._is(NEW_SIGNUP), rng.random(n) < 0.15, signup + 600, -1)
        place(self._is(LOW_ACTIVITY), rng.random(n) < 0.12, signup, -1)

        # Sale-waiters buy during discount windows that opened after they signed up.
        waiter = self._is(SALE_WAITER)
        who = np.repeat(np.arange(n), np.where(waiter, rng.integers(3, 7, n), 0))
        first = np.searchsorted(_SALES[:, 0], signup[who])
        window = first + (rng.random(len(who)) * (len(_SALES) - first)).astype(np.int64)
        who, window = who[first < len(_SALES)], window[first < len(_SALES)]
        placed.append((who, np.minimum(_between(rng, _SALES[window, 0], _SALES[window, 1]), -1)))

        who = np.concatenate([w for w, _ in placed])
        t = np.concatenate([t for _, t in placed])
        m = len(who)
        arch = self.arch[who]
        category = self._category(who, 0.6)
        value = np.exp(rng.normal(np.log(_A["order_value"][arch]), 0.6))
        value = np.where(arch == VIP, np.clip(value, 40, 1500), np.clip(value, 10, 400))
        cents = np.round(value * 100).astype(np.int64)
        items = np.minimum(1 + rng.poisson(0.5, m), 5)
        sale = np.searchsorted(_SALES[:, 0], t, side="right") - 1
        in_sale = (sale >= 0) & (t <= _SALES[np.maximum(sale, 0), 1])
        discounted = rng.random(m) < np.where(arch == SALE_WAITER, 0.9, np.where(in_sale, 0.5, 0.12))
        channel = self._shop_channel(who)
        category_code = category + 1

        # Every order follows a product view, a cart add (under a day before) and a checkout.
        checkout = t - _between(rng, 60, 900, m)
        cart = checkout - _between(rng, 60, 20 * HOUR, m)
        view = cart - _between(rng, 30, 1800, m)
        item_cents = np.round(cents / items).astype(np.int64)
        ev = self.events
        ev.add(who, view, "product_viewed", channel=channel, category=category_code, cents=item_cents)
        ev.add(who, cart, "cart_added", channel=channel, category=category_code, cents=item_cents)
        ev.add(who, checkout, "checkout_started", channel=channel)
        ev.add(who, t, "order_completed", channel=channel, category=category_code, cents=cents,
               discounted=discounted, properties=_PROP["items"] + items - 1)

        # Cart abandoners added to cart in the last 7 days; their orders are all older.
        abandoner = self._is(CART_ABANDONER)
        who, cart = self._spread(np.where(abandoner, rng.integers(1, 3, n), 0), -7 * DAY + HOUR, -600)
        category = self._category(who, 0.7)
        price, channel = self._price(category), self._shop_channel(who)
        view = cart - _between(rng, 30, 1800, len(who))
        ev.add(who, view, "product_viewed", channel=channel, category=category + 1, cents=price)
        ev.add(who, cart, "cart_added", channel=channel, category=category + 1, cents=price)
        checked_out = rng.random(len(who)) < 0.4
        who, cart, channel = who[checked_out], cart[checked_out], channel[checked_out]
        ev.add(who, cart + _between(rng, 60, 600, len(who)), "checkout_started", channel=channel)

    def _category(self, who: np.ndarray, favourite: float) -> np.ndarray:
        """A product category per entry, the contact's favourite with probability `favourite`."""
        anything = self.rng.integers(0, len(CATEGORIES), len(who))
        return np.where(self.rng.random(len(who)) < favourite, self.favourite[who], anything)

    def _price(self, category: np.ndarray) -> np.ndarray:
        """An item price in cents around the category's typical price."""
        return np.round(np.exp(self.rng.normal(np.log(_PRICE[category]), 0.4)) * 100).astype(np.int64)

    def _shop_channel(self, who: np.ndarray) -> np.ndarray:
        """App users shop in the app part of the time, everyone else on the web."""
        return np.where(self.app_user[who] & (self.rng.random(len(who)) < 0.4), APP, WEB)

    def _saas(self) -> None:
        """Trials (after a look at /pricing), subscriptions and feature use of trial, pro and team plans."""
        rng, n, signup, ev = self.rng, self.n, self.signup, self.events
        paid = self.plan >= 2
        trial = (self.plan == 1) | (paid & (rng.random(n) < 0.7))
        pricing = signup + _between(rng, 60, HOUR, n)
        trial_at = _between(rng, pricing + 300, np.minimum(pricing + 60 * HOUR, -60))
        ev.add(np.flatnonzero(trial), pricing[trial], "page_viewed", channel=WEB, url=URLS.index("/pricing") + 1)
        ev.add(np.flatnonzero(trial), trial_at[trial], "trial_started", channel=WEB)
        self.trial_at = np.where(trial, trial_at, 1)
        subscribed = np.where(trial, trial_at + 14 * DAY, signup + _between(rng, 600, 2 * DAY, n))
        ev.add(np.flatnonzero(paid), subscribed[paid], "subscription_started",
               properties=_PROP["plan"] + self.plan[paid] - 2)

        demo = paid & (rng.random(n) < 0.3)
        who, t = self._spread(demo.astype(np.int64), signup, self.active_until)
        ev.add(who, t, "page_viewed", channel=WEB, url=URLS.index("/demo") + 1)
        ev.add(who, t + _between(rng, 30, 600, len(who)), "form_submitted", channel=WEB,
               properties=_PROP["form"] + FORMS.index("demo_request"))

        # Trial power users cycle through 3-5 distinct features, all within the last 14 days.
        power = self._is(TRIAL_POWER)
        kinds = np.where(power, rng.integers(3, 6, n), 0)
        uses = np.where(power, kinds + rng.poisson(15, n), 0)
        who, t = self._spread(uses, np.maximum(signup, -14 * DAY), -60)
        per_contact = np.bincount(who, minlength=n)
        nth = np.arange(len(who)) - np.repeat(np.cumsum(per_contact) - per_contact, per_contact)
        features = np.argsort(rng.random((n, len(FEATURES))), axis=1)  # a random order of features each
        feature = features[who, nth % kinds[who]]
        channel = np.where(self.app_user[who], APP, WEB)
        ev.add(who, t, "feature_used", channel=channel, properties=_PROP["feature"] + feature)

        rate = np.where(paid, 1.2, np.where(self.plan == 1, 2.0, 0.0)) * ~power
        who, t = self._spread(self._monthly(rate, signup, self.active_until), signup, self.active_until)
        feature = rng.integers(0, len(FEATURES), len(who))
        channel = np.where(self.app_user[who], APP, WEB)
        ev.add(who, t, "feature_used", channel=channel, properties=_PROP["feature"] + feature)

    def _email(self) -> None:
        rng, n, signup, ev = self.rng, self.n, self.signup, self.events
        # Scheduled sends: each reaches part of the consenting list; product updates go to trial/paid plans.
        reach = np.where(_SEND_KIND == NEWSLETTER, 0.1, 0.4).astype(np.float32)
        matrix = rng.random((n, len(_SEND_T)), dtype=np.float32) < reach
        matrix &= self.receives_email[:, None] & (_SEND_T >= signup[:, None]) & (_SEND_T < self.email_until[:, None])
        matrix[:, _SEND_KIND == PRODUCT] &= (self.plan >= 1)[:, None]
        who, send = np.nonzero(matrix)
        parts = [(who, _SEND_T[send] + _between(rng, 0, 1800, len(send)), _SEND_CAMP[send], _SEND_KIND[send])]

        # Triggered series: welcome emails after signup, onboarding emails during a trial.
        trialists = self.receives_email & (self.trial_at <= 0)
        for campaign, kind, start, eligible, offsets in (
            ("Welcome Series", WELCOME, signup, self.receives_email, (600, 2 * DAY, 5 * DAY)),
            ("Trial Onboarding", TRIAL, self.trial_at, trialists, (DAY, 4 * DAY, 9 * DAY)),
        ):
            for offset in offsets:
                t = start + offset
                who = np.flatnonzero(eligible & (t < self.email_until))
                code = CAMPAIGNS.index(campaign) + 1
                parts.append((who, t[who], np.full(len(who), code), np.full(len(who), kind)))
        who, t, campaign, kind = (np.concatenate(col) for col in zip(*parts))
        order = np.lexsort((t, who))
        who, t, campaign, kind = who[order], t[order], campaign[order], kind[order]
        ev.add(who, t, "email_delivered", channel=EMAIL, campaign=campaign)

        # Unsubscribers leave right after the last email they got.
        last = np.flatnonzero(np.r_[who[1:] != who[:-1], True])
        last = last[self.unsubscribed[who[last]]]
        ev.add(who[last], t[last] + _between(rng, 60, 2 * HOUR, len(last)), "email_unsubscribed",
               channel=EMAIL, campaign=campaign[last])

        # Opens follow deliveries (never after `opens_until`), clicks follow opens and land on a page.
        appetite = rng.uniform(0.5, 1.5, n)
        opened = (rng.random(len(who)) < _A["opens"][self.arch[who]] * appetite[who]) & (t < self.opens_until[who])
        who, campaign, kind = who[opened], campaign[opened], kind[opened]
        t = t[opened] + 30 + np.minimum(rng.exponential(5 * HOUR, len(who)), 3 * DAY).astype(np.int64)
        ev.add(who, t, "email_opened", channel=EMAIL, campaign=campaign)
        clicked = rng.random(len(who)) < _A["clicks"][self.arch[who]]
        who, campaign, kind = who[clicked], campaign[clicked], kind[clicked]
        t = t[clicked] + _between(rng, 5, 600, len(who))
        url = _pick(rng, _LINKS[kind]) + 1
        ev.add(who, t, "email_clicked", channel=EMAIL, url=url, campaign=campaign)
        ev.add(who, t + _between(rng, 1, 20, len(who)), "page_viewed", channel=WEB, url=url)

    def _other_channels(self) -> None:
        """SMS clicks and push opens answer promo sends, for consenting and app-using contacts."""
        rng, n, ev = self.rng, self.n, self.events
        send_t = _SEND_T[_PROMO_SENDS]
        for event, channel, chance, allowed, lo, hi in (
            ("sms_clicked", SMS, 0.1, self.people["sms_consent"], self.signup, self.active_until),
            ("push_opened", PUSH, 0.15, self.app_user, self.app_from, self.app_until),
        ):
            matrix = (rng.random((n, len(send_t)), dtype=np.float32) < chance) & allowed[:, None]
            matrix &= (send_t >= lo[:, None]) & (send_t < hi[:, None])
            who, send = np.nonzero(matrix)
            t = _SEND_T[_PROMO_SENDS[send]] + _between(rng, 60, 3 * HOUR, len(who))
            ev.add(who, t, event, channel=channel, campaign=_SEND_CAMP[_PROMO_SENDS[send]])

    def _browsing(self) -> None:
        rng, n, signup, ev = self.rng, self.n, self.signup, self.events
        until = self.active_until
        browse = _A["browse"][self.arch]
        who, t = self._spread(self._monthly(browse * 0.6, signup, until), signup, until)
        ev.add(who, t, "page_viewed", channel=WEB, url=rng.choice(len(URLS), len(who), p=_PAGE_URLS) + 1)

        who, t = self._spread(self._monthly(browse * 0.4, signup, until), signup, until)
        category = self._category(who, 0.5)
        ev.add(who, t, "product_viewed", channel=self._shop_channel(who), category=category + 1,
               cents=self._price(category))

        # Window shoppers sometimes left a cart behind, long ago.
        shopper = self._is(WINDOW_SHOPPER) & (rng.random(n) < 0.3)
        who, t = self._spread(shopper.astype(np.int64), signup, -14 * DAY)
        category = self.favourite[who]
        ev.add(who, t, "cart_added", channel=WEB, category=category + 1, cents=self._price(category))

        rate = np.where(self.app_user, _A["app_rate"][self.arch], 0)
        who, t = self._spread(self._monthly(rate, self.app_from, self.app_until), self.app_from, self.app_until)
        ev.add(who, t, "app_opened", channel=APP, properties=_PROP["platform"] + self.platform[who])

        newsletter = self.receives_email & (rng.random(n) < 0.2)
        who = np.flatnonzero(newsletter)
        ev.add(who, signup[who] + _between(rng, 30, 600, len(who)), "form_submitted", channel=WEB,
               properties=_PROP["form"] + FORMS.index("newsletter"))
        who, t = self._spread((rng.random(n) < 0.03).astype(np.int64), signup, until)
        ev.add(who, t, "form_submitted", channel=WEB, properties=_PROP["form"] + FORMS.index("contact"))
        who, t = self._spread(np.where(rng.random(n) < 0.15, 1 + rng.poisson(0.5, n), 0), signup, until)
        asset = rng.integers(0, len(ASSETS), len(who))
        ev.add(who, t, "content_downloaded", channel=WEB, properties=_PROP["asset"] + asset)

    def finish(self) -> dict[str, np.ndarray]:
        """Clamp to signup, drop what falls after AS_OF or in a quiet period, and order by contact and time."""
        cols = self.events.columns()
        who = cols.pop("who")
        t = np.maximum(cols.pop("t"), self.signup[who])
        keep = np.flatnonzero((t < 0) & ~((t >= self.quiet_from[who]) & (t < self.quiet_until[who])))
        # One int64 key (contact, time, event) sorts far faster than a lexsort; t + 2**26 > 0 as t >= -730 days.
        key = (who[keep] << 32) | ((t[keep] + 2**26) << 5) | cols["event"][keep]
        order = keep[np.argsort(key, kind="stable")]
        out = {"contact_id": who[order], "occurred_at": _AS_OF_NP + t[order].astype("timedelta64[s]")}
        out.update((name, col[order]) for name, col in cols.items())
        return out
