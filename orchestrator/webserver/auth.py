"""Authentication: basic auth with users from the settings and API tokens (Bearer).

Passwords and tokens are kept as Argon2 hashes; a verified credential is cached (by its
SHA-256) so a client sending it on every request does not pay Argon2 each time.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import threading

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from orchestrator.webserver.errors import REQUEST_ID, ApiError, Handler, error_response
from orchestrator.webserver.settings import AuthSettings
from orchestrator.webserver.ui_static import UI_ENTRY_PATHS

_HASHER = PasswordHasher()


def hash_secret(secret: str) -> str:
    """The Argon2 hash to put in the settings for a password or a token."""
    return _HASHER.hash(secret)


class Authenticator:
    """Checks the ``Authorization`` header of requests against the settings."""

    def __init__(self, settings: AuthSettings) -> None:
        """Use the users and tokens of ``settings``."""
        self._settings = settings
        self._verified: set[str] = set()
        self._lock = threading.Lock()

    def is_open(self, path: str) -> bool:
        """Whether ``path`` is served without credentials."""
        return (
            not self._settings.enabled
            or path in UI_ENTRY_PATHS
            or any(path.startswith(prefix) for prefix in self._settings.open_paths)
        )

    def known(self, header: str | None) -> bool:
        """Whether ``header`` was verified before (no Argon2 needed)."""
        if not header:
            return False
        digest = hashlib.sha256(header.encode()).hexdigest()
        with self._lock:
            return digest in self._verified

    def _check(self, cache_key: str, hashes: list[str], secret: str) -> bool:
        with self._lock:
            if cache_key in self._verified:
                return True
        for stored in hashes:
            try:
                _HASHER.verify(stored, secret)
            except (VerificationError, InvalidHashError):
                continue
            with self._lock:
                self._verified.add(cache_key)
            return True
        return False

    def authenticate(self, header: str | None) -> str:
        """The caller's name.

        Raises:
            ApiError: 401 when the header is missing or the credentials are wrong.
        """
        if not header:
            raise ApiError(401, "authentication required: use basic auth or a Bearer API token")
        scheme, _, value = header.partition(" ")
        digest = hashlib.sha256(header.encode()).hexdigest()
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise ApiError(401, "malformed basic credentials") from exc
            username, _, password = decoded.partition(":")
            users = [u.password_hash for u in self._settings.users if u.username == username]
            if users and self._check(digest, users, password):
                return username
            raise ApiError(401, "wrong username or password")
        if scheme.lower() == "bearer":
            token = value.strip()
            if self._check(digest, [t.token_hash for t in self._settings.tokens], token):
                return "token"
            raise ApiError(401, "unknown API token")
        raise ApiError(401, f"unsupported authorization scheme {scheme!r}: use Basic or Bearer")


def auth_middleware(authenticator: Authenticator) -> web.middleware:  # type: ignore[valid-type]
    """A middleware answering 401 to requests without valid credentials."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "OPTIONS" or authenticator.is_open(request.path):
            return await handler(request)
        try:
            header = request.headers.get("Authorization")
            if not authenticator.known(header):  # Argon2 takes tens of ms: not on the loop
                await asyncio.to_thread(authenticator.authenticate, header)
        except ApiError as exc:
            response = error_response(request.get(REQUEST_ID, ""), exc)
            if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                # The web UI asks: no Basic challenge, or the browser would show its own
                # login dialog over the UI's login page.
                response.headers.popall("WWW-Authenticate", None)
            return response
        return await handler(request)

    return middleware
