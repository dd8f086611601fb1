"""Pure code shared by the services: money, dates, legal rules and parameters, territories, identifiers,
wire schemas, state machines. Imports no framework (flask, sqlalchemy, ...), no service, no test code."""
