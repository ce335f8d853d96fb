"""MailSend against a real local SMTP server (aiosmtpd): STARTTLS, SMTPS, AUTH, attachments."""

from __future__ import annotations

import datetime
import email
import ipaddress
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jdbc_helpers import closed_port
from plugin_context import Logs, context_of, run_task, task_of

from orchestrator.storage import LocalStorage
from plugins.notifications.errors import MailError

MAIL = "io.kestra.plugin.email.MailSend"
USER, PASSWORD = "robot", "s3cret-pa55"


class Inbox:
    """aiosmtpd's handler: keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def _serve(inbox: Inbox, **options: Any) -> Iterator[int]:
    port = closed_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_authenticate, **options
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def starttls(tls_context: ssl.SSLContext) -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    for port in _serve(inbox, tls_context=tls_context, require_starttls=True):
        yield port, inbox


@pytest.fixture
def smtps(tls_context: ssl.SSLContext) -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    # Implicit TLS: aiosmtpd only counts STARTTLS as TLS, so AUTH must not demand it.
    for port in _serve(
        inbox, ssl_context=tls_context, server_hostname="127.0.0.1", auth_require_tls=False
    ):
        yield port, inbox


def _mail(port: int, **more: Any) -> dict[str, Any]:
    return {
        "id": "mail",
        "type": MAIL,
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "password": PASSWORD,
        "trustedHosts": ["127.0.0.1"],
        "from": "robot@example.com",
        "to": "a@example.com; b@example.com",
        "subject": "Report {{ day }}",
        **more,
    }


def test_starttls_with_auth_html_text_and_an_attachment(
    starttls: tuple[int, Inbox], tmp_path: Path
) -> None:
    port, inbox = starttls
    uri = LocalStorage(tmp_path / "storage").put("company.team/flow/report.csv", b"a,b\n1,2\n")
    run_task(
        _mail(
            port,
            transportStrategy="SMTP_TLS",
            cc="c@example.com",
            htmlTextContent="<p>Total {{ total }}</p>",
            plainTextContent="Total {{ total }}",
            attachments=[{"name": "report.csv", "uri": uri, "contentType": "text/csv"}],
        ),
        tmp_path,
        day="monday",
        total=3,
    )
    [(recipients, message)] = inbox.received
    assert recipients == ["a@example.com", "b@example.com", "c@example.com"]
    assert message["Subject"] == "Report monday" and message["Cc"] == "c@example.com"
    assert message["To"] == "a@example.com, b@example.com"
    assert message.get_body(("plain",)).get_content().strip() == "Total 3"
    assert message.get_body(("html",)).get_content().strip() == "<p>Total 3</p>"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "report.csv"
    assert attachment.get_content() in ("a,b\n1,2\n", b"a,b\n1,2\n")


def test_smtps_with_auth(smtps: tuple[int, Inbox], tmp_path: Path) -> None:
    port, inbox = smtps
    run_task(_mail(port, plainTextContent="hello"), tmp_path, day="tuesday")
    [(_, message)] = inbox.received
    assert message["Subject"] == "Report tuesday"
    assert message.get_body(("plain",)).get_content().strip() == "hello"


def test_a_refused_login_names_the_task_and_server_never_the_password(
    starttls: tuple[int, Inbox], tmp_path: Path
) -> None:
    port, inbox = starttls
    task = task_of(
        _mail(port, transportStrategy="SMTP_TLS", password="wrong-pa55", plainTextContent="x")
    )
    logs = Logs()
    with pytest.raises(MailError) as caught:
        task.run(context_of(task, tmp_path, logs, day="x"))
    message = str(caught.value)
    assert message.startswith(f"task 'mail': 127.0.0.1:{port} (SMTP_TLS) refused the login")
    assert "535" in message and caught.value.retryable is False
    assert "wrong-pa55" not in message and "wrong-pa55" not in logs.text()
    assert inbox.received == []


def test_an_untrusted_certificate_is_refused(smtps: tuple[int, Inbox], tmp_path: Path) -> None:
    port, _ = smtps
    with pytest.raises(MailError, match=rf"cannot send through 127.0.0.1:{port} \(SMTPS\).*CERT"):
        run_task(_mail(port, trustedHosts=[], plainTextContent="x"), tmp_path, day="x")


def test_an_unreachable_server_is_clear(tmp_path: Path) -> None:
    port = closed_port()
    with pytest.raises(MailError, match=rf"task 'mail': cannot send through 127.0.0.1:{port}"):
        run_task(_mail(port, transportStrategy="SMTP", plainTextContent="x"), tmp_path, day="x")


def test_mail_execution_sends_the_summary_with_its_link(
    starttls: tuple[int, Inbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No index answers: the current execution's summary comes from the run's variables.
    monkeypatch.setenv("KESTREL_ELASTICSEARCH__URL", f"http://127.0.0.1:{closed_port()}")
    port, inbox = starttls
    definition = _mail(port, transportStrategy="SMTP_TLS", customFields={"Env": "prod"})
    del definition["subject"]
    run_task(
        {**definition, "type": "io.kestra.plugin.email.MailExecution"},
        tmp_path,
        execution={"id": "exec1", "state": "FAILED"},
        tasks={"load": {"state": "FAILED"}},
        kestra={"url": "https://ui.example"},
    )
    [(_, message)] = inbox.received
    assert message["Subject"] == "[company.team] flow ➛ FAILED"
    text = message.get_body(("plain",)).get_content()
    assert "Failed tasks: load" in text and "Env: prod" in text
    assert "https://ui.example/ui/executions/company.team/flow/exec1" in text
    assert "<th align='left'>Execution ID</th><td>exec1</td>" in (
        message.get_body(("html",)).get_content()
    )
