"""Read side: listing with filters and pagination, one module per resource.

Query functions take a Session and plain values and return ORM rows with what the API shows
already loaded, so they can be serialised after the unit of work closes. They never write.
"""
