"""The Users page (unscoped admins): every user with their role and state, and forms to add a
user, change a role, disable or enable one, and set a new password. Each change ends the
sessions of the user it touches (service.users)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.errors import ConflictError
from status_dashboard.service.accounts import InvalidInput
from status_dashboard.web import forms
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import call, page, read_form
from status_dashboard.web.session import flash

ROLES = [role.value for role in Role]


async def user_list(request: Request, ui: Ui, who: Principal) -> Response:
    return await _listing(request, ui, who)


async def create_user(request: Request, ui: Ui, who: Principal) -> Response:
    form = await read_form(request)
    values = {"name": forms.text(form, "name").strip(), "role": forms.text(form, "role")}
    try:
        role = _role(forms.text(form, "role"))
        created = await call(
            ui.users.create, who, values["name"], role, forms.text(form, "password")
        )
    except InvalidInput as exc:
        return await _listing(request, ui, who, {exc.field: exc.detail}, values, 400)
    except ConflictError as exc:
        return await _listing(request, ui, who, {"name": str(exc)}, values, 409)
    flash(request, f"User {created.name} created with role {created.role.value}")
    return _back()


async def set_role(request: Request, ui: Ui, who: Principal) -> Response:
    form = await read_form(request)
    user = await call(ui.users.set_role, who, _user_ref(request), _role(forms.text(form, "role")))
    flash(request, f"{user.name} is now {user.role.value}; their sessions were ended")
    return _back()


async def set_disabled(request: Request, ui: Ui, who: Principal) -> Response:
    form = await read_form(request)
    choice = forms.text(form, "disabled")
    if choice not in ("yes", "no"):
        raise InvalidInput("disabled", "must be yes or no")
    user = await call(ui.users.set_disabled, who, _user_ref(request), choice == "yes")
    flash(request, f"{user.name} is {'disabled' if user.disabled else 'enabled'}")
    return _back()


async def set_password(request: Request, ui: Ui, who: Principal) -> Response:
    form = await read_form(request)
    user = await call(
        ui.users.reset_password, who, _user_ref(request), forms.text(form, "password")
    )
    flash(request, f"New password set for {user.name}; their sessions were ended")
    return _back()


async def _listing(
    request: Request,
    ui: Ui,
    who: Principal,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    users = await call(ui.users.users, who)
    return ui.pages.render(
        request,
        "users.html",
        status=status,
        section="users",
        users=users,
        roles=ROLES,
        errors=errors or {},
        values=values or {"role": Role.VIEWER.value},
        me_id=who.id,
    )


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise InvalidInput("role", f"choose {', '.join(ROLES)}") from None


def _user_ref(request: Request) -> str:
    return str(request.path_params["user_id"])


def _back() -> Response:
    return RedirectResponse("/admin/users", status_code=303)


def routes(ui: Ui) -> list[Route]:
    return [
        Route("/admin/users", page(ui, user_list), methods=["GET"]),
        Route("/admin/users", page(ui, create_user), methods=["POST"]),
        Route("/admin/users/{user_id:int}/role", page(ui, set_role), methods=["POST"]),
        Route("/admin/users/{user_id:int}/disabled", page(ui, set_disabled), methods=["POST"]),
        Route("/admin/users/{user_id:int}/password", page(ui, set_password), methods=["POST"]),
    ]
