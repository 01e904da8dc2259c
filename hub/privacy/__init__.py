"""GDPR duties: export of a debtor's data, erasure and retention policies."""
