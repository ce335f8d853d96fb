"""Notification tasks under Kestra's names: Slack, Discord and Teams webhooks, SMTP mail.

They need nothing beyond Python's standard library (``urllib``, ``smtplib``); the
``notifications`` extra exists so the documented ``pip install kestrelflow[notifications]``
works. The ``*Execution`` variants read the execution they tell about from the index.
"""

from plugins.notifications.discord import DiscordExecution, DiscordIncomingWebhook
from plugins.notifications.errors import MailError, NotificationError, WebhookError
from plugins.notifications.mail import MailSend
from plugins.notifications.mail_execution import MailExecution
from plugins.notifications.slack import SlackExecution, SlackIncomingWebhook
from plugins.notifications.teams import TeamsExecution, TeamsIncomingWebhook

__all__ = [
    "DiscordExecution",
    "DiscordIncomingWebhook",
    "MailError",
    "MailExecution",
    "MailSend",
    "NotificationError",
    "SlackExecution",
    "SlackIncomingWebhook",
    "TeamsExecution",
    "TeamsIncomingWebhook",
    "WebhookError",
]
