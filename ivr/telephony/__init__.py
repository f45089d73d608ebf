"""Everything that speaks Twilio: voice requests, TwiML, call-state URLs, signatures. No Flask."""
