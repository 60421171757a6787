"""Loopback fakes of the cloud REST APIs the real client libraries talk to.

Each fake is a stdlib HTTP server on 127.0.0.1 in a thread. It implements just
the routes the clients call, keeps the resources it created, and records every
request (method, path, query, JSON body) so tests assert on what was sent.
"""
