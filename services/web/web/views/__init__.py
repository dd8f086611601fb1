"""The pages, one blueprint per kind of officer (legal, finance, compliance, structure) plus sign-in."""
