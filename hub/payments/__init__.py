"""Payments received: allocation to invoices, and checks of payments a debtor says were made."""
