"""Blueprints of the web atlas, one module per URL area (each exposes ``bp``)."""
