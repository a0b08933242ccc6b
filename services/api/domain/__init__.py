"""The rules of the service, as plain async functions over a session; they flush, never commit."""
