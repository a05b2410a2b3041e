"""Streaming responses that stream under both WSGI and ASGI.

Under ASGI, Django reads a synchronous iterator into one list before sending a byte (its
"must consume synchronous iterators" warning): a multi-GB download would sit in memory. Served
by ASGI, the iterator is pulled one chunk at a time in the request's own thread instead (the
thread its view ran in: a database cursor behind the iterator stays on its connection).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

_DONE = object()


def _next(chunks: Iterator[Any]) -> Any:
    return next(chunks, _DONE)


async def _pulled(chunks: Iterator[Any]) -> AsyncIterator[Any]:
    pull = sync_to_async(_next, thread_sensitive=True)
    while (chunk := await pull(chunks)) is not _DONE:
        yield chunk


def streaming_response(
    request: HttpRequest,
    chunks: Any,
    *,
    close: Callable[[], None] | None = None,
    **kwargs: Any,
) -> StreamingHttpResponse:
    """A StreamingHttpResponse over `chunks`; `close` runs when the response is closed."""
    if isinstance(request, ASGIRequest):
        response = StreamingHttpResponse(_pulled(iter(chunks)), **kwargs)
        if close is not None:
            response._resource_closers.append(close)  # type: ignore[attr-defined]
        return response
    response = StreamingHttpResponse(chunks, **kwargs)
    if close is not None and not hasattr(chunks, "close"):
        response._resource_closers.append(close)  # type: ignore[attr-defined]
    return response
