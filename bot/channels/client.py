"""Who is calling: the client's address and whether it came over HTTPS, trusting the
X-Forwarded-* headers only from the proxies named in `ZWBOT_TRUSTED_PROXIES` (comma-separated
addresses). Anyone else could write those headers themselves."""

from __future__ import annotations

import os

from aiohttp import web


def trusted_proxies() -> frozenset[str]:
    return frozenset(p.strip() for p in os.environ.get("ZWBOT_TRUSTED_PROXIES", "").split(",") if p.strip())


def _via_trusted_proxy(request: web.Request) -> bool:
    return (request.remote or "") in trusted_proxies()


def client_address(request: web.Request) -> str:
    """The caller's address: the last hop before our trusted proxy, else the TCP peer."""
    if _via_trusted_proxy(request):
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
        proxies = trusted_proxies()
        for hop in reversed(hops):  # the right-most hop our own proxies did not add
            if hop not in proxies:
                return hop[:64]
    return (request.remote or "unknown")[:64]


def is_https(request: web.Request) -> bool:
    """True for TLS to zwbot itself, or X-Forwarded-Proto: https from a trusted proxy."""
    if request.secure and request.scheme == "https" and not _via_trusted_proxy(request):
        return True
    if _via_trusted_proxy(request):
        return request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"
    return False
