"""Slack: ``SlackIncomingWebhook`` (a message) and ``SlackExecution`` (an execution's summary).

Both post to an incoming webhook (``https://hooks.slack.com/services/...``), which also
takes Rocket.Chat and Mattermost messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from plugins.notifications.execution_message import ExecutionMessage, color, facts, headline
from plugins.notifications.webhook import IncomingWebhook

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class SlackIncomingWebhook(IncomingWebhook):
    """Send a Slack message: ``messageText`` (Slack markdown), or a whole ``payload``.

    Example:
        ```yaml
        - id: notify
          type: io.kestra.plugin.slack.notifications.SlackIncomingWebhook
          url: "{{ secret('SLACK_WEBHOOK') }}"
          messageText: "Flow {{ flow.id }} is done"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.slack.notifications.SlackIncomingWebhook"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.notifications.slack.SlackIncomingWebhook",
        "io.kestra.plugin.slack.SlackIncomingWebhook",
    )

    message_text: str | None = None
    """The message (rendered), sent as ``{"text": ...}`` when there is no ``payload``."""

    def body(self, ctx: RunContext) -> dict[str, Any]:
        """``payload``, or ``messageText`` as Slack's ``text``."""
        payload = self.rendered_payload(ctx)
        if payload is not None:
            return payload
        return {"text": ctx.render_text(self.message_text or "", "messageText")}


class SlackExecution(ExecutionMessage, IncomingWebhook):
    """Send a Slack message with an execution's summary and a link to it in the UI.

    Example:
        ```yaml
        - id: alert
          type: io.kestra.plugin.slack.notifications.SlackExecution
          url: "{{ secret('SLACK_WEBHOOK') }}"
          executionId: "{{ trigger.executionId }}"
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.slack.notifications.SlackExecution"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.notifications.slack.SlackExecution",
        "io.kestra.plugin.slack.SlackExecution",
    )

    channel: str | None = None
    """The channel to post to (if the webhook allows it)."""
    username: str | None = None
    """The author's name shown."""
    icon_url: str | None = None
    """The author's picture."""
    icon_emoji: str | None = None
    """The author's emoji, instead of a picture."""
    message_text: str | None = None
    """Accepted for Kestra flows: replaces the headline."""

    def body(self, ctx: RunContext) -> dict[str, Any]:
        """The summary as a Slack attachment; ``payload`` is merged over it when given."""
        summary, message, custom = self.summary(ctx)
        text = f"<{summary.link}|{headline(summary)}>"
        if self.message_text:
            text = ctx.render_text(self.message_text, "messageText")
        if message:
            text = f"{text}\n> {message}"
        body: dict[str, Any] = {
            "text": text,
            "attachments": [
                {
                    "color": color(summary),
                    "fields": [
                        {"title": name, "value": value, "short": True}
                        for name, value in facts(summary, custom)
                    ],
                }
            ],
        }
        optional = {
            "channel": self.channel,
            "username": self.username,
            "icon_url": self.icon_url,
            "icon_emoji": self.icon_emoji,
        }
        body.update({key: ctx.render_text(value, key) for key, value in optional.items() if value})
        return {**body, **(self.rendered_payload(ctx) or {})}


__all__ = ["SlackExecution", "SlackIncomingWebhook"]
