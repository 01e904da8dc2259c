"""Collections Hub: contact center for receivables follow-up."""
