"""Remote ticket stores: Zendesk, TomTicket and a signed generic webhook.

Each adapter takes plain values and an injected ``httpx.Client`` (its
timeouts are the caller's choice); ``from_env`` builds one from the
environment variables listed in the README.
"""
