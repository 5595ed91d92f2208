"""Receiving report mail (SMTP intake, IMAP watch) and matching it to the obligations it answers."""
