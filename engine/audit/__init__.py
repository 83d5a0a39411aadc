"""Auditors and the data-protection officer: verification of each history, replay (also against a
draft), signed chain heads, SLA reports, erasure of personal data, and who may see it (disclosure)."""
