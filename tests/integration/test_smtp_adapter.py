"""The SMTP adapter against real servers: STARTTLS with a login, implicit TLS, and what it refuses."""

import os
import shutil
import ssl
from email.message import EmailMessage

import pytest

from engine.kernel.errors import DeliveryFailed
from persistence.smtp import SmtpMailer, SmtpSettings
from tests.smtp import Authenticator, SmtpServer, self_signed_certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        reason = "the openssl command makes the test certificate; install it (apt-get install openssl)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def server_context(certificate):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def letter(to="aysel@example.com"):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "complaints@musicgallery.az", to, "Ваша жалоба MG-2026-000001"
    message["Message-ID"] = "<abc@musicgallery.az>"
    message.set_content("Здравствуйте! Hello!")
    return message


@pytest.fixture
def starttls_server(certificate):
    auth = Authenticator("mailer", "s3cret")
    server = SmtpServer(tls_context=server_context(certificate), require_starttls=True, authenticator=auth,
                        auth_require_tls=True)  # fmt: skip
    server.auth = auth
    yield server
    server.stop()


def test_starttls_and_login_from_configuration(starttls_server, certificate):
    settings = SmtpSettings("localhost", starttls_server.port, security="starttls", username="mailer",
                            password="s3cret", ca_file=str(certificate[0]), timeout=5)  # fmt: skip
    with SmtpMailer(settings) as mailer:
        mailer.send(letter())
        mailer.send(letter("second@example.com"))
    assert starttls_server.auth.logins == ["mailer"]  # one connection for both
    assert [m["Subject"] for m in starttls_server.recorder.accepted] == ["Ваша жалоба MG-2026-000001"] * 2


def test_a_wrong_password_or_an_untrusted_certificate_is_a_temporary_failure(starttls_server, certificate):
    for settings in (
        SmtpSettings("localhost", starttls_server.port, username="mailer", password="wrong",
                     ca_file=str(certificate[0]), timeout=5),
        SmtpSettings("localhost", starttls_server.port, username="mailer", password="s3cret", timeout=5),
    ):  # fmt: skip
        with SmtpMailer(settings) as mailer, pytest.raises(DeliveryFailed) as failure:
            mailer.send(letter())
        assert not failure.value.permanent  # our configuration, not the message: keep it and retry
    assert starttls_server.recorder.accepted == []


def test_implicit_tls(certificate):
    server = SmtpServer(ssl_context=server_context(certificate))
    try:
        settings = SmtpSettings("127.0.0.1", server.port, security="tls", ca_file=str(certificate[0]), timeout=5)
        with SmtpMailer(settings) as mailer:
            mailer.send(letter())
        assert server.recorder.message_ids() == ["<abc@musicgallery.az>"]
    finally:
        server.stop()


def test_plain_smtp_to_a_server_that_requires_starttls_is_refused_temporarily(starttls_server):
    with SmtpMailer(SmtpSettings("127.0.0.1", starttls_server.port, security="none", timeout=5)) as mailer:
        with pytest.raises(DeliveryFailed) as failure:
            mailer.send(letter())
    assert not failure.value.permanent and "530" in str(failure.value)


def test_unknown_security_setting_is_refused_at_start():
    with pytest.raises(ValueError, match="starttls, tls, none"):
        SmtpSettings("localhost", security="ssl")
