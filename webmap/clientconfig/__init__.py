"""What the pages hand their scripts: the JSON configs of the map, the coverage view and the editor.

Builders only, apart from the routes: each derives from the request's snapshot
(``webmap.snapshot``) and returns plain JSON-ready data with labels translated
for the request's language.
"""
