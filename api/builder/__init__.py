"""The web builder: a page at `/` (plain HTML, CSS and JS shipped as package data, nothing fetched from
elsewhere) that edits the builder JSON through the /v1 API, and the one route it needs beyond them."""
