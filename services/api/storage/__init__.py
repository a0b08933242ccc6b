"""Storage: the database, units of work, the migrations runner and the embedded server."""
