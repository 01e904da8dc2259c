"""Payments received: allocation to invoices, and checks of payments a debtor claims to have made."""
