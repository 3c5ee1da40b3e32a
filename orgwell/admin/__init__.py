"""Site administration: invite owners and consultants, grant consultants access, (de)activate
accounts, see the organisations on the site. The site admin never sees survey data."""
