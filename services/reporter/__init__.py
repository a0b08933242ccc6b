"""The reporter: compiles the annual complaints report and the Ombudsman remedy ledger over HTTP."""
