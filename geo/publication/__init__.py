"""Publication: wire codec, map payload, exports, partner package, OGC API and OpenAPI documents, map view state."""
