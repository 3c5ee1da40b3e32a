"""Site administration: owners, consultants, organisations across the site."""
