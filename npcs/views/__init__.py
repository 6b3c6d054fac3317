"""Pages of the global NPC database beyond the admin (one module per area)."""
