"""Planning services: planners' edits, imports and accounts."""
