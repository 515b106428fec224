"""Lists come as ``{"data": [...], "total": N}`` pages; :class:`Page` holds one, :func:`iterate`
walks all of them lazily, one request per page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from loop_client.sdk.errors import UnexpectedResponseError
from loop_client.sdk.models import LoopModel

T = TypeVar("T", bound=LoopModel)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    data: list[T]
    total: int
    limit: int
    offset: int
    # False when ``total`` is the server's estimate (the dispatch queue past 10,000 issues): the
    # listing may hold more than ``total`` says, so only a short page ends it.
    total_exact: bool = True

    @property
    def has_more(self) -> bool:
        if not self.total_exact:
            return len(self.data) >= self.limit
        return self.offset + len(self.data) < self.total

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def to_wire(self) -> dict[str, Any]:
        """The page as the API sent it."""
        wire: dict[str, Any] = {"data": [item.to_wire() for item in self.data], "total": self.total}
        if not self.total_exact:
            wire["totalExact"] = False
        return wire


def parse_page(body: Any, model: type[T], *, limit: int, offset: int) -> Page[T]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise UnexpectedResponseError(
            f"Expected a list envelope {{data, total}}, got {body!r:.200}"
        )
    items = [model.model_validate(item) for item in body["data"]]
    total = body.get("total")
    return Page(
        data=items,
        total=int(total) if isinstance(total, int) else offset + len(items),
        limit=limit,
        offset=offset,
        total_exact=body.get("totalExact") is not False,
    )


def iterate(
    fetch: Callable[[int, int], Page[T]],
    *,
    page_size: int = MAX_PAGE_SIZE,
    start: int = 0,
    max_items: int | None = None,
    on_page: Callable[[Page[T]], None] | None = None,
) -> Iterator[T]:
    """Yield every item of a listing, fetching ``page_size`` at a time from offset ``start``.

    Stops when the server's ``total`` is reached (a short page, when ``total`` is an estimate), a
    page comes back empty (rows deleted while walking), or ``max_items`` have been yielded. ``on_page`` sees each page (for progress bars).
    """
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    offset = start
    yielded = 0
    while True:
        page = fetch(page_size, offset)
        if on_page is not None:
            on_page(page)
        for item in page.data:
            if max_items is not None and yielded >= max_items:
                return
            yield item
            yielded += 1
        offset += len(page.data)
        if not page.data or not page.has_more:
            return
