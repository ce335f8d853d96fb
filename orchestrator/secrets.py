"""Secret values in transit: SECRET inputs are encrypted wherever they are stored.

Executions (on Kafka, in Elasticsearch) and worker tasks carry SECRET inputs as
``kestrel-secret:v1:<Fernet token>``. Only where a template is rendered (the executor for
flowable properties, the worker for task properties) are they revealed, and every revealed
value is masked in logs. All processes of a cluster share the key
(``KESTREL_SECURITY__SECRET_KEY``).
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from orchestrator.errors import OrchestratorError
from orchestrator.settings import KestrelSettings

PREFIX = "kestrel-secret:v1:"
log = logging.getLogger("kestrel.secrets")


class SecretError(OrchestratorError):
    """A secret could not be decrypted (wrong key, or a damaged value)."""


class SecretCodec:
    """Encrypts and decrypts secret values with one symmetric key."""

    def __init__(self, key: str | bytes | None = None) -> None:
        """Use ``key`` (a Fernet key); without one, a key for this process only."""
        if key is None:
            key = Fernet.generate_key()
            log.warning(
                "no security.secret_key is set: SECRET inputs use a key of this process only "
                "and cannot be read by other processes; set KESTREL_SECURITY__SECRET_KEY"
            )
        self._fernet = Fernet(key if isinstance(key, bytes) else key.encode())

    @staticmethod
    def new_key() -> str:
        """Return a new random key, for ``security.secret_key``."""
        return Fernet.generate_key().decode()

    def encrypt(self, value: Any) -> str:
        """Encrypt a value (as text); already encrypted values are returned unchanged."""
        text = value if isinstance(value, str) else str(value)
        if is_encrypted(text):
            return text
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, value: str) -> str:
        """Decrypt a value made by `encrypt`.

        Raises:
            SecretError: the key is not the one that encrypted it, or the value is damaged.
        """
        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretError(
                "cannot decrypt a SECRET input: is security.secret_key the same on every "
                "Kestrel process?"
            ) from exc

    def reveal(self, variables: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Return ``variables`` with encrypted inputs decrypted, and the revealed values."""
        inputs = variables.get("inputs")
        if not isinstance(inputs, dict):
            return variables, set()
        revealed: set[str] = set()
        clear = _decrypted(inputs, self, revealed)
        if not revealed:
            return variables, revealed
        return {**variables, "inputs": clear}, revealed


def is_encrypted(value: Any) -> bool:
    """Whether ``value`` is an encrypted secret."""
    return isinstance(value, str) and value.startswith(PREFIX)


def _decrypted(value: Any, codec: SecretCodec, revealed: set[str]) -> Any:
    if is_encrypted(value):
        clear = codec.decrypt(value)
        revealed.add(clear)
        return clear
    if isinstance(value, dict):
        return {key: _decrypted(item, codec, revealed) for key, item in value.items()}
    return value


def secret_codec(settings: KestrelSettings) -> SecretCodec:
    """The codec of a Kestrel process, from ``security.secret_key``."""
    key = settings.security.secret_key
    return SecretCodec(key.get_secret_value() if key is not None else None)
