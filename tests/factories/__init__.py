"""factory-boy factories, one module per app."""
