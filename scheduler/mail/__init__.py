"""Mail out: rendering, composing into the durable outbox, delivering over SMTP, and the digests."""
