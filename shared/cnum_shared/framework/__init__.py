"""The framework code shared by the services: the app factory, errors, databases, events, auth, settings,
jobs. Imports no service and no test code."""
