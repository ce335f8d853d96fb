"""Discord: ``DiscordIncomingWebhook`` and ``DiscordExecution`` (an execution's summary)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from plugins.notifications.execution_message import ExecutionMessage, color, facts, headline
from plugins.notifications.webhook import IncomingWebhook

if TYPE_CHECKING:
    from orchestrator.plugin import RunContext


class DiscordIncomingWebhook(IncomingWebhook):
    """Send a Discord message: the ``payload`` as Discord's webhook API takes it.

    Example:
        ```yaml
        - id: notify
          type: io.kestra.plugin.discord.DiscordIncomingWebhook
          url: "{{ secret('DISCORD_WEBHOOK') }}"
          payload: '{"content": "Flow {{ flow.id }} is done"}'
        ```
    """

    type_name: ClassVar[str] = "io.kestra.plugin.discord.DiscordIncomingWebhook"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.notifications.discord.DiscordIncomingWebhook",
    )


class DiscordExecution(ExecutionMessage, IncomingWebhook):
    """Send a Discord message with an execution's summary and a link to it in the UI."""

    type_name: ClassVar[str] = "io.kestra.plugin.discord.DiscordExecution"
    aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.notifications.discord.DiscordExecution",
    )

    username: str | None = None
    """The author's name shown."""
    avatar_url: str | None = None
    """The author's picture."""
    content: str | None = None
    """Text above the summary (rendered)."""
    embed_list: list[dict[str, Any]] = Field(default_factory=list)
    """More embeds after the summary's (rendered)."""

    def body(self, ctx: RunContext) -> dict[str, Any]:
        """The summary as a Discord embed."""
        summary, message, custom = self.summary(ctx)
        embed = {
            "title": headline(summary),
            "url": summary.link,
            "description": message or "",
            "color": int(color(summary).lstrip("#"), 16),
            "fields": [
                {"name": name, "value": value, "inline": True}
                for name, value in facts(summary, custom)
            ],
        }
        body: dict[str, Any] = {"embeds": [embed, *ctx.render(self.embed_list, "embedList")]}
        if self.content:
            body["content"] = ctx.render_text(self.content, "content")
        if self.username:
            body["username"] = ctx.render_text(self.username, "username")
        if self.avatar_url:
            body["avatar_url"] = ctx.render_text(self.avatar_url, "avatarUrl")
        return {**body, **(self.rendered_payload(ctx) or {})}


__all__ = ["DiscordExecution", "DiscordIncomingWebhook"]
