"""arq worker settings and job functions."""
