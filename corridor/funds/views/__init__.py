"""Staff pages of the funds app (thin views: parse, check access, call a service)."""
