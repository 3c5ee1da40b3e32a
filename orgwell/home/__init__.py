"""Home: the page each role lands on, the staff home page and public sign-up."""
