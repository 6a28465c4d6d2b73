"""Stand-in Authentik: a real HTTP server process that answers like Authentik (see NOTES.md). Test infrastructure only."""
