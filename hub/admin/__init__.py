"""Admin screens: user accounts and client (creditor) settings."""
