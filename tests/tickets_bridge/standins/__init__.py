"""Stand-ins for the remote help desks: small HTTP servers on 127.0.0.1.

Each follows the provider's published API for the calls the adapters make,
keeps its tickets in memory, and can be told to fail (see ``server.Faults``).
"""
