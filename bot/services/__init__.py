"""Services: the knowledge base and the turn log (cases, tickets, ratings and hand-off come later)."""
