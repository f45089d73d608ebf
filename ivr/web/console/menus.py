"""Menus: version history, the editor, diff from live, publish, roll back, drafts,
the graph, and the "testar ligação" panel.

Publishing goes through ``ivr.storage.menu_versions`` exactly as ``ivr menus
publish`` does: errors refuse the text, warnings refuse it unless confirmed.
"""

from __future__ import annotations

import difflib
import functools
import shlex
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from hours.clock import SettableClock
from hours.schedule import DEFAULT_TIMEZONE
from ivr.menus.graph import GraphvizFailed, GraphvizMissing, menu_graph, render, to_dot, to_mermaid
from ivr.menus.loader import MenuInvalid, MenuProblem, check_menu, load_menu
from ivr.numbers import e164
from ivr.storage import menu_versions
from ivr.storage.accounts import audit
from ivr.storage.models import MenuVersion
from ivr.web.console.access import supervisor_only
from ivr.web.console.blueprint import bp, reading, services, writing

FILENAME = "menus.yaml"
MAX_MENU_BYTES = 512 * 1024
SAO_PAULO = ZoneInfo(DEFAULT_TIMEZONE)


def _problem_data(problem: MenuProblem) -> dict[str, object]:
    return {
        "line": problem.line,
        "col": problem.col,
        "path": problem.path,
        "message": problem.message,
        "severity": problem.severity,
    }


def _text_of_form() -> str:
    text = request.form.get("content", "")
    if len(text.encode("utf-8")) > MAX_MENU_BYTES:
        abort(413)
    return text.replace("\r\n", "\n")


def diff_lines(before: str, after: str, before_name: str, after_name: str) -> list[str]:
    return list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), before_name, after_name, lineterm=""
        )
    )


def _live(db) -> MenuVersion | None:
    return menu_versions.latest(db)


@bp.get("/menus")
def menus():
    with reading() as db:
        versions = menu_versions.list_versions(db)
        live = _live(db)
    return render_template(
        "console/menus.html", versions=versions, live_id=live.id if live else None
    )


@bp.get("/menus/<int:version_id>")
def menu_version(version_id: int):
    with reading() as db:
        version = menu_versions.get(db, version_id) or abort(404)
        live = _live(db)
    diff = diff_lines(
        live.content if live else "",
        version.content,
        f"no ar (versão {live.id if live else '—'})",
        f"versão {version.id}",
    )
    mermaid, has_svg = _graph(version.content)
    return render_template(
        "console/menu_version.html",
        version=version,
        live_id=live.id if live else None,
        diff=diff,
        mermaid=mermaid,
        has_svg=has_svg,
    )


@functools.lru_cache(maxsize=32)
def _graph(content: str) -> tuple[str, bool]:
    """(Mermaid text, whether Graphviz can draw it) of a stored version's menu."""
    try:
        graph = menu_graph(load_menu(content, FILENAME))
    except MenuInvalid:
        return "", False
    return to_mermaid(graph), _svg(content) is not None


@functools.lru_cache(maxsize=32)
def _svg(content: str) -> bytes | None:
    try:
        return render(to_dot(menu_graph(load_menu(content, FILENAME))), "svg")
    except (GraphvizMissing, GraphvizFailed, MenuInvalid):
        return None


@bp.get("/menus/<int:version_id>/graph.svg")
def menu_graph_svg(version_id: int):
    with reading() as db:
        version = menu_versions.get(db, version_id) or abort(404)
        content = version.content
    svg = _svg(content)
    if svg is None:
        abort(404)
    return Response(
        svg,
        content_type="image/svg+xml",
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


@bp.get("/menus/edit")
def menu_editor():
    with reading() as db:
        source = request.args.get("from", type=int)
        version = menu_versions.get(db, source) if source else None
        draft = menu_versions.current_draft(db)
        version = version or draft or _live(db)
        text = version.content if version else ""
    return render_template(
        "console/menu_editor.html",
        content=text,
        source=version,
        draft=draft,
        problems=[],
        now=services().clock().astimezone(SAO_PAULO),
    )


@bp.post("/menus/validate")
def validate_menu():
    """The editor's problems, as JSON, before anything is saved."""
    text = _text_of_form() if request.form else (request.get_json(silent=True) or {}).get("content")
    if not isinstance(text, str):
        return jsonify(error="envie o texto do menu em 'content'"), 400
    problems = check_menu(text, FILENAME)
    with reading() as db:
        live = _live(db)
    diff = diff_lines(live.content if live else "", text, "no ar", "editor")
    return jsonify(problems=[_problem_data(p) for p in problems], diff=diff)


def _refuse_in_editor(text: str, problems: list[MenuProblem], why: str):
    flash(why, "error")
    with reading() as db:
        draft = menu_versions.current_draft(db)
    return render_template(
        "console/menu_editor.html",
        content=text,
        source=None,
        draft=draft,
        problems=[_problem_data(p) for p in problems],
        now=services().clock().astimezone(SAO_PAULO),
    ), 422


def _checked(text: str):
    """The problems that refuse ``text`` (errors, or warnings not confirmed), or None."""
    problems = check_menu(text, FILENAME)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        return _refuse_in_editor(
            text, problems, f"{len(errors)} erro(s): nada foi salvo; a versão no ar continua."
        )
    if problems and not request.form.get("accept_warnings"):
        return _refuse_in_editor(
            text,
            problems,
            f"{len(problems)} aviso(s): nada foi salvo. Corrija ou marque "
            "“publicar mesmo com avisos”.",
        )
    return None


def _validate(text: str) -> object:
    return load_menu(text, FILENAME)


@bp.post("/menus/publish")
@supervisor_only
def publish_menu():
    text = _text_of_form()
    refused = _checked(text)
    if refused is not None:
        return refused
    now = services().clock()
    with writing() as db:
        before = _live(db)
        before_id = before.id if before else None
        version = menu_versions.publish(db, text, current_user.name, now, validate=_validate)
        new_id = version.id
        if new_id != before_id:
            audit(db, current_user.name, "menu.publish", "menu", now, _v(before_id), _v(new_id))
    if new_id == before_id:
        flash(f"O texto é igual ao da versão {new_id}, que continua no ar.", "ok")
    else:
        flash(f"Versão {new_id} publicada: as novas ligações já a ouvem.", "ok")
    return redirect(url_for("console.menus"))


def _v(version_id: int | None) -> str | None:
    return f"versão {version_id}" if version_id is not None else None


@bp.post("/menus/<int:version_id>/rollback")
@supervisor_only
def rollback_menu(version_id: int):
    """Put an earlier version back on the air, as a new version number with its text."""
    now = services().clock()
    with writing() as db:
        old = menu_versions.get(db, version_id) or abort(404)
        before = _live(db)
        version = menu_versions.publish(db, old.content, current_user.name, now, validate=_validate)
        new_id = version.id
        before_id = before.id if before else None
        if new_id != before_id:
            audit(
                db,
                current_user.name,
                "menu.rollback",
                f"menu (texto da versão {version_id})",
                now,
                _v(before_id),
                _v(new_id),
            )
    flash(f"O texto da versão {version_id} está no ar como versão {new_id}.", "ok")
    return redirect(url_for("console.menus"))


@bp.post("/menus/draft")
@supervisor_only
def save_draft():
    text = _text_of_form()
    numbers = []
    for raw in request.form.get("test_numbers", "").replace(";", ",").split(","):
        if raw.strip():
            try:
                numbers.append(e164(raw.strip()))
            except ValueError:
                return _refuse_in_editor(text, [], f"Número de teste inválido: {raw.strip()}")
    if not numbers:
        return _refuse_in_editor(text, [], "Informe ao menos um número de teste para o rascunho.")
    refused = _checked(text)
    if refused is not None:
        return refused
    now = services().clock()
    with writing() as db:
        draft = menu_versions.publish_draft(
            db, text, current_user.name, now, numbers, validate=_validate
        )
        draft_id = draft.id
        audit(db, current_user.name, "menu.draft", "rascunho", now, None, _v(draft_id))
    flash(f"Rascunho salvo como versão {draft_id}; só os números de teste o ouvem.", "ok")
    return redirect(url_for("console.menus"))


@bp.post("/menus/promote")
@supervisor_only
def promote_draft():
    now = services().clock()
    with writing() as db:
        before = _live(db)
        try:
            version = menu_versions.promote(db, current_user.name, now)
        except LookupError:
            flash("Não há rascunho para pôr no ar.", "error")
            return redirect(url_for("console.menus"))
        new_id = version.id
        audit(
            db,
            current_user.name,
            "menu.promote",
            "menu",
            now,
            _v(before.id if before else None),
            _v(new_id),
        )
    flash(f"O rascunho está no ar para todos como versão {new_id}.", "ok")
    return redirect(url_for("console.menus"))


# -- testar ligação -------------------------------------------------------------


def _instant(day: str, clock_time: str) -> datetime:
    """A date and time typed in São Paulo time (the line's), as an aware instant."""
    return datetime.fromisoformat(f"{day}T{clock_time}").replace(tzinfo=SAO_PAULO)


@bp.post("/menus/test-call")
def test_call():
    """Run the simulator on the draft (or the live version, or the editor's text) at a
    chosen instant with chosen keys; nothing is written to the real database."""
    from ivr.app import close_app
    from ivr.simulator import Answer, InProcess, Phone
    from ivr.simulator.sandbox import LiveState, read_live_state, sandbox_app

    which = request.form.get("menu", "draft")
    settings = services().settings
    with reading() as db:
        draft = menu_versions.current_draft(db)
        live = _live(db)
    if which == "editor":
        text, source = _text_of_form(), "o texto do editor"
    elif which == "draft" and draft is not None:
        text, source = draft.content, f"o rascunho (versão {draft.id})"
    elif live is not None:
        text, source = live.content, f"a versão no ar ({live.id})"
    else:
        abort(404)
    try:
        at = _instant(request.form.get("date", ""), request.form.get("time", ""))
        keys = shlex.split(request.form.get("keys", ""))
    except ValueError:
        return render_template(
            "console/test_call.html", error="Data, hora ou teclas inválidas.", transcript=None
        ), 400
    state = read_live_state(settings.database_url)
    clock = SettableClock(at)
    with tempfile.TemporaryDirectory() as workdir:
        try:
            app = sandbox_app(
                settings, text, Path(workdir), clock, FILENAME, LiveState(state.closures)
            )
        except MenuInvalid as invalid:
            problems = "; ".join(str(p) for p in invalid.problems[:5])
            return render_template(
                "console/test_call.html", error=f"O menu tem erros: {problems}", transcript=None
            ), 422
        try:
            phone = Phone(InProcess(app), settings.twilio_auth_token)
            transcript = phone.call([Answer.parse(key) for key in keys])
        finally:
            close_app(app)
    return render_template(
        "console/test_call.html",
        error=None,
        transcript=transcript,
        source=source,
        at=at,
        keys=" ".join(keys),
    )
