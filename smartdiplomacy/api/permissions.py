"""Who may call what: partner token scopes, and model permissions for writes."""

from rest_framework import permissions

from .hooks import request_token

# --- Permissions ------------------------------------------------------------------------------


class HasTokenScope(permissions.BasePermission):
    """What a partner token may do: read, where the view's ``required_scopes`` are all granted.

    A view without ``required_scopes`` is closed to tokens (default deny); ``required_scopes = ()``
    opens it to any valid token. Requests without a token are not this class's business.
    """

    message = "Partner tokens cannot use this endpoint."

    def has_permission(self, request, view) -> bool:
        token = request_token(request)
        if token is None:
            return True
        if request.method not in permissions.SAFE_METHODS:
            self.message = "Partner tokens are read-only."
            return False
        required = getattr(view, "required_scopes", None)
        if required is None:
            return False
        missing = [scope for scope in required if scope not in token.scopes]
        if missing:
            self.message = f"This token lacks the scope {missing[0]}."
            return False
        return True


class ApiModelPermissions(permissions.DjangoModelPermissions):
    """Reads for anyone signed in; writes need the model permission (add, change, delete).

    Partner tokens hold no permission at all, so they never write through this check either.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return super().has_permission(request, view)
