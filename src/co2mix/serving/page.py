"""The page at ``/``: server-rendered HTML, no front-end build. Forms (GET, so a
result is a link): mix advice in the dataset's design space (the plant's context and
strength target, or a CSV dataset's floors and context: the same advisor as
``/v1/advise``), and one row's prediction.
Input goes through the same validation as the API; errors are shown on the page, naming
the field, with status 422."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from co2mix.serving.advice import AdviceError
from co2mix.serving.door import COOKIE, Access
from co2mix.serving.page_parts import band, bar_chart, field_input, label, status_table
from co2mix.serving.schemas import row_model
from co2mix.serving.service import Service

SESSION_SECONDS = 8 * 3600  # the page's key cookie: a working day

STYLE = """
body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
form{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.5rem 1rem;
border:1px solid #ccc;padding:1rem;border-radius:.4rem}
label{display:flex;flex-direction:column;font-size:.85rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .6rem}
.error{color:#a00}.result{background:#f4f8f4;padding:.5rem 1rem;border-radius:.4rem}
"""


class Page:
    def __init__(self, service: Service, docs: bool = False):
        self.service = service
        self.docs = docs
        self.row_model = row_model(service.art, "Row", service.art.features)

    def render(self, query: dict[str, str]) -> tuple[str, int]:
        form = query.get("form")
        result, status = "", 200
        advisor = self.service.advisor
        if form == "advise" and advisor is not None:
            result, status = self._advise(query)
        elif form == "predict":
            result, status = self._predict(query)
        advise = (
            f"<h2>Advise a mix</h2>{self._form('advise', advisor.request, query)}"
            f"{result if form == 'advise' else ''}"
            if advisor is not None
            else ""
        )
        targets = ", ".join(self.service.art.params.data.targets)
        art = self.service.art
        body = (
            f"<h1>co2mix</h1><p>{escape(targets)} from the pipeline's published champions.</p>"
            f"{status_table(art.champions, art.refresh, art.check)}"
            f"{advise}"
            f"<h2>Predict one row</h2>{self._form('predict', self.row_model, query)}"
            f"{result if form == 'predict' else ''}"
            f"{self._next_week()}"
            + ('<p><a href="/docs">API documentation</a></p>' if self.docs else "")
        )
        return _document(body), status

    def _next_week(self) -> str:
        """The forecast stage's next days of CO2 and heating energy (the plant only)."""
        record = self.service.art.forecast
        if record is None:
            return ""
        shown = [s for s in FORECAST_SHOWN if s in record["next_days"]]
        days = [d["day"] for d in record["next_days"][shown[0]]] if shown else []
        header = "".join(f"<th>{escape(FORECAST_SHOWN[s])}</th>" for s in shown)
        rows = "".join(
            f"<tr><td>{escape(str(day))}</td>"
            + "".join(_forecast_cell(record["next_days"][s][i]) for s in shown)
            + "</tr>"
            for i, day in enumerate(days)
        )
        return (
            f"<h2>Next week</h2><p>{escape(record['served'])} forecast, 80 % interval.</p>"
            f'<table id="next-week"><tr><th>day</th>{header}</tr>{rows}</table>'
        )

    def _form(self, name: str, model: type[BaseModel], query: dict[str, str]) -> str:
        fields = []
        for field, info in model.model_fields.items():
            value = query.get(field) if query.get("form") == name else None
            if value is None:
                value = "" if info.is_required() else str(info.default)
            fields.append(field_input(name, field, info, value))
        return (
            f'<form method="get" action="/" id="{name}-form">'
            f'<input type="hidden" name="form" value="{name}">{"".join(fields)}'
            f'<button type="submit" id="{name}-submit">{name.capitalize()}</button></form>'
        )

    def _parse(self, model: type[BaseModel], query: dict[str, str]) -> Any:
        values: dict[str, Any] = {}
        for field, info in model.model_fields.items():
            if field not in query or query[field] == "":
                continue
            raw = query[field]
            if info.annotation in (float, int):
                try:
                    values[field] = info.annotation(raw)
                except ValueError:
                    values[field] = raw  # validation names the field
            else:
                values[field] = raw
        return model.model_validate(values)

    def _advise(self, query: dict[str, str]) -> tuple[str, int]:
        """The advisor's answer for the form's values, or why there is none."""
        advisor = self.service.advisor
        assert advisor is not None
        try:
            advice = advisor.advise(self._parse(advisor.request, query).model_dump())
        except ValidationError as exc:
            return _errors(exc), 422
        except AdviceError as exc:
            return f'<p class="error" id="advise-error">{escape(str(exc))}</p>', exc.status
        return advisor.page_result(advice), 200

    def _predict(self, query: dict[str, str]) -> tuple[str, int]:
        try:
            row = self._parse(self.row_model, query)
        except ValidationError as exc:
            return _errors(exc), 422
        predicted = self.service.predict([row.model_dump()])[0]
        lines = "".join(
            f"<tr><td>{escape(label(t))}</td><td id='predict-{escape(t)}'>"
            f"{p['prediction']:.2f}</td><td>{band(p['interval'])}</td></tr>"
            for t, p in predicted.items()
        )
        charts = "".join(
            bar_chart(
                f"contributions-{t}",
                f"What made the {label(t)} prediction, from {p['constant']:.1f}",
                "per feature",
                sorted(
                    ((label(f), v) for f, v in p["contributions"].items()),
                    key=lambda kv: -abs(kv[1]),
                )[:10],
            )
            for t, p in predicted.items()
            if p.get("contributions")
        )
        return f'<div class="result" id="prediction"><table>{lines}</table>{charts}</div>', 200


FORECAST_SHOWN = {"co2_t": "CO2 (t)", "heating_energy_kwh": "heating energy (kWh)"}


def _forecast_cell(day: dict[str, Any]) -> str:
    return f"<td>{day['forecast']:.1f} ({day['lo80']:.1f} to {day['hi80']:.1f})</td>"


def _errors(exc: ValidationError) -> str:
    items = "".join(
        f"<li>{escape('.'.join(str(p) for p in e['loc']))}: {escape(e['msg'])}</li>"
        for e in exc.errors()
    )
    return f'<ul class="error" id="errors">{items}</ul>'


def _document(body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>co2mix</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


LOGIN_FORM = (
    '<h1>co2mix</h1><form method="post" action="/login" id="login-form">'
    "<label>API key (co2mix keys create --scope predict)"
    '<input name="key" id="login-key" type="password" autocomplete="off"></label>'
    '<button type="submit" id="login-submit">Sign in</button></form>'
)


def add_pages(app: FastAPI, page: Page, access: Access) -> None:
    """``/`` (the page, for a key with the ``predict`` scope) and ``/login``, which puts
    the key in an HttpOnly, SameSite=Strict cookie: no script on the page ever sees it."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        if "predict" not in (access.scopes(request) or ()):
            return RedirectResponse("/login", 303)
        html, status = page.render(dict(request.query_params))
        return HTMLResponse(html, status)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form() -> Response:
        if access.open:
            return RedirectResponse("/", 303)
        return HTMLResponse(_document(LOGIN_FORM))

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login(request: Request) -> Response:
        fields = parse_qs((await request.body()).decode("utf-8", "replace"))
        key = (fields.get("key") or [""])[0].strip()
        scopes = access.scopes(request, key) if key else None
        if scopes is None or "predict" not in scopes:
            why = "unknown or revoked key" if scopes is None else "this key lacks 'predict'"
            error = f'<p class="error" id="login-error">{why}</p>'
            return HTMLResponse(_document(LOGIN_FORM + error), 401 if scopes is None else 403)
        signed = RedirectResponse("/", 303)
        signed.set_cookie(
            COOKIE,
            key,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return signed
