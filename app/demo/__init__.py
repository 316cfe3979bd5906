"""Demo data: a made-up shop written through the API (`crm demo`)."""
