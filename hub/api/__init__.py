"""The JSON API under /api/v1, its bearer tokens and the page that manages them."""
