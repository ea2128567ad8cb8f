"""The operators' web UI: server-rendered pages under /admin over the same services as the
admin API (`admin.admin_ui` gives the routes and middleware to mount).

Errors a page can meet, and what the visitor sees:

CsrfRefused      (csrf)   a POST without this session's token, or from another origin: 403 page
Forbidden        (service.accounts)  a role that may not do this: 403 page
InvalidInput     (service.accounts)  shown next to the form field it names, 400
ConflictError    (domain.errors)     someone else changed it: 409, with the current values
NotFoundError    (domain.errors)     404 page
anything else                        a generic 500 page with an id the log line repeats
"""
