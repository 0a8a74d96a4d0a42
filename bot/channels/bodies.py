"""Reading a whole request body under a channel's own size limit.

One `request.content.read(n)` returns only what has arrived so far (often the first TCP segment),
so a body sent in several writes would be cut short. `request.read()` reads to the end of the body
(the server's body deadline has usually read it already, within its time limit).
"""

from __future__ import annotations

from aiohttp import web


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or None when it is longer than `limit` bytes (the caller answers 413).
    A declared Content-Length over the limit is refused before anything is read."""
    if request.content_length is not None and request.content_length > limit:
        return None
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return None
    return None if len(body) > limit else body
