"""How passwords are hashed: Argon2id with OWASP's recommended minimum (19 MiB of memory, 2 passes, 1 lane).

Django's own Argon2 settings (100 MiB, 8 lanes) and its PBKDF2 default (1,000,000 rounds) each cost about a fifth of
a second of CPU per sign-in: on a two-core server, a few staff signing in at once stall every page. This costs about
a tenth of that while staying memory-hard, which is what makes GPU guessing expensive. Hashes made with Django's
hashers (listed after this one in PASSWORD_HASHERS) still verify and are rehashed with this one at the next sign-in.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id (the type argon2-cffi and Django use) at OWASP's Password Storage Cheat Sheet parameters."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
