"""One module per upstream source; each returns GeoDataFrames in the store schema."""
