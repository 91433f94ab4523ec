"""Product recommendations: candidate sources, neighbour lists, business rules, the served object."""
