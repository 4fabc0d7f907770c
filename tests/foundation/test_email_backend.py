"""The default console email backend keeps stdout clean for commands that print JSON."""

from django.core import mail

from config.email import StderrConsoleBackend


def test_console_emails_go_to_stderr_not_stdout(capsys):
    with StderrConsoleBackend() as backend:
        mail.EmailMessage("Run finished", "Body", "from@example.com", ["to@example.com"], connection=backend).send()
    out, err = capsys.readouterr()
    assert out == ""
    assert "Subject: Run finished" in err


def test_default_email_backend_is_the_stderr_console(settings):
    from config import settings as project_settings

    assert project_settings.EMAIL_BACKEND == "config.email.StderrConsoleBackend"
