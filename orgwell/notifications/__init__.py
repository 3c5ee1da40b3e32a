"""Mail: the transactional outbox, the backends that deliver it, the dev mailbox."""
