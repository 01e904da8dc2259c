"""Audit log: who viewed or changed which record, stored as ids only."""
