"""What the routes share, created once in the app's lifespan and handed out with `Depends`: the catalog,
the segment and chat stores, the database and the translator (a local model loads once, not per request)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Request

from api.compiled import CompileCache
from api.problems import ApiError
from api.settings import Settings
from assistant.chats import ChatStore
from assistant.data import demo_store
from assistant.data.preview import Database
from assistant.segments import SegmentStore
from assistant.translate.contract import Translator
from assistant.translate.factory import make_translator
from assistant.translate.model import ModelError
from assistant.translate.offline import OfflineTranslator
from grammar.catalog import Catalog, load_catalog

log = logging.getLogger("segment_assistant.api")


class _Guarded:
    """A model translator whose unexpected failures (a reply the client library cannot read, e.g. truncated
    JSON) become ModelError, so the API answers 502 model_error instead of a 500. The offline translator is
    not wrapped: a bug there must stay a bug."""

    def __init__(self, inner: Translator):
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def translate(self, *args, **kwargs):
        try:
            return self.inner.translate(*args, **kwargs)
        except ModelError:
            raise
        except Exception as err:
            log.warning("the model's reply could not be read", exc_info=True)
            raise ModelError(f"the model's reply could not be read ({type(err).__name__})") from None


def _made(provider: str | None) -> Translator:
    made = make_translator(provider)
    return made if isinstance(made, OfflineTranslator) else _Guarded(made)


class AppState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.catalog: Catalog = load_catalog(settings.catalog)
        self.segments = SegmentStore.from_setting(settings.store)
        self.chats = ChatStore(self.segments.db, settings.chat_ttl_s)
        self.database = Database(settings.db or str(demo_store.demo_db_path()))
        self._db_as_of = demo_store.database_as_of(self.database.target)  # read once: opening DuckDB costs ms
        self.compiled = CompileCache(self.catalog, settings.compile_cache)
        self.concept_labels = self.catalog.concept_labels()  # the catalog is fixed for the process
        self._translators: dict[str | None, Translator] = {None: _made(None)}
        self._lock = threading.Lock()  # guards the translator table only

    def translator(self, provider: str | None = None) -> Translator:
        """The server's translator, or the offline one when a request asks for it (made once, then kept)."""
        found = self._translators.get(provider)
        if found is None:
            try:
                made = _made(provider)
            except ValueError as err:
                raise ApiError(422, "invalid_request", str(err)) from None
            with self._lock:
                found = self._translators.setdefault(provider, made)
        return found

    def as_of(self, value: datetime | None) -> datetime:
        """One as-of rule: the request's, else the database's own instant, else now (naive UTC)."""
        if value is None:
            return self._db_as_of or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


async def get_state(request: Request) -> AppState:
    # async: a plain function dependency would cost every request a trip through the thread pool
    return request.app.state.assistant


State = Annotated[AppState, Depends(get_state)]
