"""Promises to pay and instalment plans, kept or broken by the payments that arrive."""
