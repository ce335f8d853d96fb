"""Microsoft Teams: ``TeamsIncomingWebhook`` and ``TeamsExecution`` (an execution's summary)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from plugins.notifications.execution_message import ExecutionMessage, color, facts, headline
from plugins.notifications.webhook import IncomingWebhook

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class TeamsIncomingWebhook(IncomingWebhook):
    """Send a Teams message: the ``payload`` (a message card or an adaptive card).

    Example:
        ```yaml
        - id: notify
          type: io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook
          url: "{{ secret('TEAMS_WEBHOOK') }}"
          payload: '{"text": "Flow {{ flow.id }} is done"}'
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.notifications.teams.TeamsIncomingWebhook",
    )


class TeamsExecution(ExecutionMessage, IncomingWebhook):
    """Send a Teams message card with an execution's summary and a link to it in the UI."""

    type_name: ClassVar[str] = "io.kestra.plugin.microsoft365.teams.TeamsExecution"
    aliases: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.notifications.teams.TeamsExecution",)

    theme_color: str | None = None
    """The card's colour, ``rrggbb`` (default: by the execution's state)."""

    def body(self, ctx: RunContext) -> dict[str, Any]:
        """The summary as a message card with an "open" button."""
        summary, message, custom = self.summary(ctx)
        title = headline(summary)
        theme = ctx.render_text(self.theme_color, "themeColor") if self.theme_color else None
        card: dict[str, Any] = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "themeColor": (theme or color(summary)).lstrip("#"),
            "title": title,
            "sections": [
                {
                    "text": message or "",
                    "facts": [
                        {"name": name, "value": value} for name, value in facts(summary, custom)
                    ],
                }
            ],
            "potentialAction": [
                {
                    "@type": "OpenUri",
                    "name": "Open the execution",
                    "targets": [{"os": "default", "uri": summary.link}],
                }
            ],
        }
        return {**card, **(self.rendered_payload(ctx) or {})}


__all__ = ["TeamsExecution", "TeamsIncomingWebhook"]
