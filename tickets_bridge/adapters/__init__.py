"""Remote ticket stores: Zendesk, TomTicket and a signed generic webhook.

Each adapter takes plain values and an injected ``httpx.Client`` (its
timeouts are the caller's choice); ``from_env`` builds one from the
variables listed in the README, and ``tickets_bridge.stores.make_store``
picks the one ``IVR_TICKET_STORE`` names. Nothing is imported here, so only
the chosen adapter is ever loaded.
"""
