"""Levels talking to each other (上下级联动): province, city and county nodes over NATS.

`contracts` are the named, versioned integration messages; `signing` signs and verifies them
against the trust store; `outbox` turns this node's events that cross a level into messages;
`inbox` verifies, orders and de-duplicates what arrives and runs it as a local command.
"""
