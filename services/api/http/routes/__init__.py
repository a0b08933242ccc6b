"""HTTP routes: thin, they parse, call a domain function and shape the answer."""
