"""Units and their contacts: importing the tree, and listing it as it is or was."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from scheduler.cli.common import AsOfOpt, ConfigOpt, DbOpt, JsonOpt
from scheduler.cli.environment import open_env, writing
from scheduler.cli.output import print_json, print_table
from scheduler.deadlines.vntime import fmt_date

units_app = typer.Typer(no_args_is_help=True, help="Đơn vị và địa chỉ liên hệ / units and contacts")


@units_app.command("import")
def units_import(
    file: Annotated[
        Path, typer.Argument(help="tệp YAML, CSV hoặc XLSX / a YAML, CSV or XLSX file")
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Nhập đơn vị từ YAML, CSV hoặc XLSX: thêm và cập nhật, không xoá đơn vị; một dòng sai thì
    không ghi gì; đơn vị hết hiệu lực chuyển việc cho đơn vị kế thừa / adds and updates units,
    never deletes one; a bad row and nothing is written; a closed unit hands over to its
    successor."""
    from scheduler.lifecycle import unit_import

    env = open_env(config, db, as_of)
    with writing(env) as store:
        count = unit_import.import_units(store, env.config, file, env.now, "cli")
    if json_out:
        print_json({"imported": count, "file": str(file)})
    else:
        print(f"Đã nhập {count} đơn vị từ {file}")


@units_app.command("list")
def units_list(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="cây đơn vị như ngày dd/mm/yyyy / tree of a day")
    ] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Danh sách đơn vị / list units with their contacts; --as-of: as the tree was that day."""
    from scheduler.hierarchy.life import tree_on

    env = open_env(config, db, as_of)
    with writing(env) as store:
        stored = store.units()
        if as_of:
            stored = tree_on(stored, store.earlier_parents(), env.now.date())
    units = list(stored.values())
    rows: list[dict[str, Any]] = [
        {
            "code": u.code,
            "name": u.name,
            "kind": u.kind,
            "parent": u.parent,
            "email": u.email,
            "contacts": {role: list(a) for role, a in u.contacts.items()},
            "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None,
            "successor": u.successor,
        }
        for u in units
    ]
    if json_out:
        print_json(rows)
        return
    for row, u in zip(rows, units, strict=True):
        row["contacts"] = "; ".join(f"{r}: {', '.join(a)}" for r, a in u.contacts.items())
        row["valid_to"] = fmt_date(u.valid_to) if u.valid_to else None
    print_table(
        rows,
        (
            ("code", "Mã"),
            ("name", "Tên"),
            ("kind", "Loại"),
            ("parent", "Cấp trên"),
            ("contacts", "Liên hệ"),
            ("valid_to", "Hiệu lực đến"),
            ("successor", "Kế thừa"),
        ),
    )
