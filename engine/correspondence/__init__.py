"""Letters to customers and their replies: templates, the outbox and its retries, inbound e-mail."""
