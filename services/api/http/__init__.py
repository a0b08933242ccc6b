"""The HTTP edge: routes, dependencies, security, limits, problems, request ids, observability."""
