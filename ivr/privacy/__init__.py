"""A caller's personal data under the LGPD: access, erasure and retention."""
