"""The Flask layer: voice routes, operational routes, later the console."""
