"""``io.kestra.plugin.email.MailSend``: an email over SMTP, SMTPS or SMTP with STARTTLS.

Python's own ``smtplib`` speaks SMTP; attachments and embedded images are files of the
internal storage. Kestra's default transport is SMTPS (TLS from the first byte, port 465).
"""

from __future__ import annotations

import mimetypes
import re
import smtplib
import ssl
from email.message import EmailMessage
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from orchestrator.models.base import KestrelModel
from orchestrator.tasks.base import RunnableTask
from plugins.notifications.errors import MailError

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext

DEFAULT_PORTS = {"SMTP": 25, "SMTPS": 465, "SMTP_TLS": 587}


class TransportStrategy(StrEnum):
    """How the connection is secured."""

    SMTP = "SMTP"
    SMTPS = "SMTPS"
    SMTP_TLS = "SMTP_TLS"
    SMTP_OAUTH2 = "SMTP_OAUTH2"


class Attachment(KestrelModel):
    """A file of the internal storage sent with the mail."""

    name: str
    """The file name the recipient sees (the Content-ID of an embedded image)."""
    uri: str
    """The file's ``kestrel://`` URI (rendered)."""
    content_type: str | None = None
    """Its MIME type (guessed from the name when absent)."""


class MailSend(RunnableTask):
    """Send an email, text and/or HTML, with attachments from the internal storage.

    Example:
        ```yaml
        - id: mail
          type: io.kestra.plugin.email.MailSend
          host: smtp.example.com
          port: 465
          username: "{{ secret('SMTP_USER') }}"
          password: "{{ secret('SMTP_PASSWORD') }}"
          from: robot@example.com
          to: team@example.com; boss@example.com
          subject: "Report {{ execution.id }}"
          htmlTextContent: "<p>Done</p>"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.email.MailSend"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.notifications.mail.MailSend",)

    host: str | None = None
    """The SMTP server (rendered)."""
    port: int | str | None = None
    """Its port (default by transport: 25, 465 for SMTPS, 587 for SMTP_TLS)."""
    username: str | None = None
    """Login (rendered; no login when absent)."""
    password: str | None = None
    """Password (rendered; masked in logs and outputs)."""
    transport_strategy: TransportStrategy = TransportStrategy.SMTPS
    """SMTP (clear), SMTPS (TLS) or SMTP_TLS (STARTTLS); SMTP_OAUTH2 is not supported."""
    session_timeout: int = Field(default=10_000, ge=1)
    """Milliseconds allowed for each network operation."""
    verify_server_identity: bool = True
    """Check that the server's certificate names ``host``."""
    trusted_hosts: list[str] = Field(default_factory=list)
    """Hosts whose certificate is accepted without verification (self-signed servers)."""
    from_: str | None = Field(default=None, alias="from")
    """The sender (rendered)."""
    to: str | list[str] | None = None
    """Recipients (rendered): a list, or addresses separated by ``;`` or ``,``."""
    cc: str | list[str] | None = None
    """Carbon-copy recipients, as ``to``."""
    bcc: str | list[str] | None = None
    """Blind carbon-copy recipients, as ``to``."""
    reply_to: str | None = None
    """The Reply-To address."""
    subject: str | None = None
    """The subject (rendered)."""
    html_text_content: str | None = None
    """The HTML body (rendered)."""
    plain_text_content: str | None = None
    """The text body (rendered); with an HTML body, the alternative for text clients."""
    attachments: list[Attachment] | str | None = None
    """Files attached (a list, or its JSON text rendered)."""
    embedded_images: list[Attachment] | str | None = None
    """Images shown inline, referred to as ``cid:<name>`` in the HTML."""

    def run(self, ctx: RunContext) -> dict[str, Any] | None:
        """Build the message and send it."""
        if self.transport_strategy is TransportStrategy.SMTP_OAUTH2:
            raise MailError(f"task '{self.id}': SMTP_OAUTH2 is not supported", retryable=False)
        host = ctx.render_text(self.host or "localhost", "host")
        port = int(ctx.render_text(self.port, "port")) if self.port else None
        port = port or DEFAULT_PORTS[self.transport_strategy.value]
        username = ctx.render_text(self.username, "username") if self.username else None
        password = ctx.render_text(self.password, "password") if self.password else None
        if password:
            ctx.add_secrets({password})
        message = self.message(ctx)
        recipients = [
            *_addresses(ctx.render(self.to, "to")),
            *_addresses(ctx.render(self.cc, "cc")),
            *_addresses(ctx.render(self.bcc, "bcc")),
        ]
        if not recipients:
            raise MailError(f"task '{self.id}': no recipient (to, cc or bcc)", retryable=False)
        where = f"{host}:{port} ({self.transport_strategy.value})"
        try:
            with self._connect(host, port) as smtp:
                if username:
                    smtp.login(username, password or "")
                smtp.send_message(message, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                ctx.mask(
                    f"task '{self.id}': {where} refused the login of {username!r}: {_reply(exc)}"
                ),
                retryable=False,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(exc.recipients)
            raise MailError(
                f"task '{self.id}': {where} refused the recipients {refused}", retryable=False
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise MailError(ctx.mask(f"task '{self.id}': {where} answered {_reply(exc)}")) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(
                ctx.mask(
                    f"task '{self.id}': cannot send through {where}: {exc or type(exc).__name__}"
                )
            ) from None
        ctx.logger.info(f"mail sent through {where} to {len(recipients)} recipient(s)")
        return None

    def message(self, ctx: RunContext) -> EmailMessage:
        """The email: headers, bodies, embedded images and attachments."""
        text = (
            ctx.render_text(self.plain_text_content, "plainTextContent")
            if self.plain_text_content
            else None
        )
        html = (
            ctx.render_text(self.html_text_content, "htmlTextContent")
            if self.html_text_content
            else None
        )
        return self.compose(ctx, ctx.render_text(self.subject or "", "subject"), text, html)

    def compose(
        self, ctx: RunContext, subject: str, text: str | None, html: str | None
    ) -> EmailMessage:
        """The email with these (rendered) subject and bodies."""
        message = EmailMessage()
        message["From"] = ctx.render_text(self.from_ or "", "from")
        for header, value, path in (("To", self.to, "to"), ("Cc", self.cc, "cc")):
            addresses = _addresses(ctx.render(value, path))
            if addresses:
                message[header] = ", ".join(addresses)
        if self.reply_to:
            message["Reply-To"] = ctx.render_text(self.reply_to, "replyTo")
        message["Subject"] = subject
        if html is None:
            message.set_content(text or "")
        else:
            html_part: Any = message
            if text:
                message.set_content(text)
                message.add_alternative(html, subtype="html")
                html_part = next(
                    part for part in message.iter_parts() if part.get_content_type() == "text/html"
                )
            else:
                message.set_content(html, subtype="html")
            for image in self._files(ctx, self.embedded_images, "embeddedImages"):
                maintype, subtype = _mime(image)
                html_part.add_related(
                    ctx.get_file(ctx.render_text(image.uri, "embeddedImages")),
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{image.name}>",
                    filename=image.name,
                )
        for attachment in self._files(ctx, self.attachments, "attachments"):
            maintype, subtype = _mime(attachment)
            message.add_attachment(
                ctx.get_file(ctx.render_text(attachment.uri, "attachments")),
                maintype=maintype,
                subtype=subtype,
                filename=attachment.name,
            )
        return message

    def _files(
        self, ctx: RunContext, files: list[Attachment] | str | None, path: str
    ) -> list[Attachment]:
        if files is None:
            return []
        if isinstance(files, list):
            return files
        rendered = ctx.render(files, path)
        if isinstance(rendered, str):
            import json

            try:
                rendered = json.loads(rendered)
            except json.JSONDecodeError as exc:
                raise MailError(
                    f"task '{self.id}': {path} is not a JSON list ({exc})", retryable=False
                ) from None
        if not isinstance(rendered, list):
            raise MailError(f"task '{self.id}': {path} must be a list", retryable=False)
        return [Attachment.model_validate(item) for item in rendered]

    def _connect(self, host: str, port: int) -> smtplib.SMTP:
        timeout = self.session_timeout / 1000
        if self.transport_strategy is TransportStrategy.SMTPS:
            return smtplib.SMTP_SSL(host, port, timeout=timeout, context=self._tls(host))
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if self.transport_strategy is TransportStrategy.SMTP_TLS:
            try:
                smtp.starttls(context=self._tls(host))
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _tls(self, host: str) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if host in self.trusted_hosts or "*" in self.trusted_hosts:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif not self.verify_server_identity:
            context.check_hostname = False
        return context


def _addresses(value: Any) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else re.split(r"[;,]", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def _mime(file: Attachment) -> tuple[str, str]:
    kind = file.content_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    maintype, _, subtype = kind.partition("/")
    return maintype, subtype or "octet-stream"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = (
        exc.smtp_error.decode("utf-8", errors="replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return f"{exc.smtp_code} {text}"


__all__ = ["Attachment", "MailSend", "TransportStrategy"]
