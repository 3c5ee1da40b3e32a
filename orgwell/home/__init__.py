"""The home page each role lands on, and the first-run set-up of the site admin."""
