"""A mail relay and mailbox stand-in: SMTP submission (STARTTLS, AUTH), a web inbox, POP3 for
bounces, injected faults and asynchronous delivery status notifications."""
