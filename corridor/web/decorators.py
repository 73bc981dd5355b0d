from __future__ import annotations

from functools import wraps

from django.http import Http404

from corridor.accounts.permissions import Perm


def require_perm(*perms: Perm):
    """404, not 403, when the role lacks all of the permissions: a page that is not
    yours is indistinguishable from one that does not exist."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not any(request.user.can(p) for p in perms):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
