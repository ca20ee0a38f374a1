from tests.outreach.sending import mail_sink, mailbox  # noqa: F401 (the fault test sends through them)
