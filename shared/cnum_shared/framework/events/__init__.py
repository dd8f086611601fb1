"""Events between services: the envelope and wire schemas, the transactional outbox, the relay, the inbox.

A producer writes the event in the same transaction as the change (`outbox.emit`); the relay job delivers
it after commit to every consumer, retrying with back-off until a 2xx; a consumer records each event id
it has processed (`inbox`) so that a repeat changes nothing.
"""
