"""``io.kestra.plugin.email.MailExecution``: an email with an execution's summary and link."""

from __future__ import annotations

import html
from email.message import EmailMessage
from typing import TYPE_CHECKING, ClassVar

from plugins.notifications.execution_message import ExecutionMessage, color, facts, headline
from plugins.notifications.mail import MailSend

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class MailExecution(ExecutionMessage, MailSend):
    """Send an email telling how an execution went, with a link to it in the UI.

    The body lists the execution's facts (and ``customFields``) in an HTML table, with a
    text alternative; ``subject`` defaults to the flow and the state.
    """

    type_name: ClassVar[str] = "io.kestra.plugin.email.MailExecution"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.notifications.mail.MailExecution",)

    def message(self, ctx: RunContext) -> EmailMessage:
        """The summary as the mail's bodies."""
        summary, custom_message, custom = self.summary(ctx)
        rows = facts(summary, custom)
        title = headline(summary)
        lines = [title, custom_message or "", *(f"{name}: {value}" for name, value in rows)]
        text = "\n".join(lines) + f"\n\n{summary.link}\n"
        cells = "".join(
            f"<tr><th align='left'>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
            for name, value in rows
        )
        page = (
            f"<h2 style='color:{color(summary)}'>{html.escape(title)}</h2>"
            + (f"<p>{html.escape(custom_message)}</p>" if custom_message else "")
            + f"<table>{cells}</table>"
            + f"<p><a href='{html.escape(summary.link)}'>Open the execution</a></p>"
        )
        subject = ctx.render_text(self.subject, "subject") if self.subject else title
        return self.compose(ctx, subject, text, page)


__all__ = ["MailExecution"]
