"""Tickets bridge: one TicketStore interface, the built-in SQL store, remote adapters,
protocol numbers and the outbox that delivers to them. Plain Python, no Flask."""
