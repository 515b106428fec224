"""What every resource shares: the HTTP core, safe path building and envelope unwrapping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final, TypeVar
from urllib.parse import quote

from loop_client.sdk.errors import UnexpectedResponseError
from loop_client.sdk.http import HttpCore, Params
from loop_client.sdk.models import LoopModel
from loop_client.sdk.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, iterate, parse_page

M = TypeVar("M", bound=LoopModel)


class Unset:
    """Marks an argument the caller did not pass, so ``None`` can mean "set to null"."""

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final[Unset] = Unset()


def path(*parts: str) -> str:
    """Join path segments, quoting ids so an id can never change which endpoint is called."""
    return "/" + "/".join(quote(str(part), safe="") if i else part for i, part in enumerate(parts))


def body(**fields: Any) -> dict[str, Any]:
    """A request body from camelCase keyword arguments, leaving out the ones not passed."""
    return {key: value for key, value in fields.items() if not isinstance(value, Unset)}


def unwrap(payload: Any) -> Any:
    """The object inside ``{"data": ...}``."""
    if not isinstance(payload, dict) or "data" not in payload:
        raise UnexpectedResponseError(f"Expected {{data: ...}}, got {payload!r:.200}")
    return payload["data"]


class Resource:
    def __init__(self, http: HttpCore) -> None:
        self._http = http

    def _get_one(self, model: type[M], url: str, params: Params | None = None) -> M:
        return model.model_validate(unwrap(self._http.request("GET", url, params=params)))

    def _send_one(
        self,
        model: type[M],
        method: str,
        url: str,
        json: Any = None,
        *,
        idempotent: bool | None = None,
    ) -> M:
        payload = self._http.request(method, url, json=json, idempotent=idempotent)
        return model.model_validate(unwrap(payload))

    def _page(
        self, model: type[M], url: str, *, limit: int, offset: int, params: Params | None = None
    ) -> Page[M]:
        query: dict[str, Any] = dict(params or {})
        query.update(limit=limit, offset=offset)
        return parse_page(
            self._http.request("GET", url, params=query), model, limit=limit, offset=offset
        )

    def _iterate(
        self,
        fetch: Callable[[int, int], Page[M]],
        *,
        page_size: int,
        max_items: int | None,
        on_page: Callable[[Page[M]], None] | None,
    ) -> Iterator[M]:
        return iterate(fetch, page_size=page_size, max_items=max_items, on_page=on_page)


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "UNSET",
    "Page",
    "Resource",
    "Unset",
    "body",
    "path",
    "unwrap",
]
