"""The REST API's infrastructure: personal tokens, problem details, throttles, pagination, the body-size limit and
the one router every app's endpoints join (/api/v1/)."""
