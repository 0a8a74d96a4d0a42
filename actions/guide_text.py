"""Turning a guide record into the values domain.yml's guide responses are filled with.

Every value comes from the record; where the record lacks a field, `missing` says so and the
action answers with `utter_guide_missing` instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from actions.centre import weekday_hours


class GuideText:
    """Formats the fields of one item with the `formats` of domain.yml."""

    def __init__(self, formats: dict[str, str], aspect_labels: dict[str, str]) -> None:
        self.formats = formats
        self.aspect_labels = aspect_labels

    def _f(self, format_name: str, **values: Any) -> str:
        return self.formats[format_name].format(**values)

    def missing(self, record: dict[str, Any], aspect: str) -> bool:
        """True when the record has nothing to say about `aspect`."""
        if aspect == "materials":
            return not record.get("materials")
        if aspect == "process":
            return not record.get("process")
        if aspect == "time_limit":
            return record.get("statutory_limit") is None and record.get("committed_limit") is None \
                and not record.get("limit_note")
        if aspect == "fee":
            return not record.get("fee")
        if aspect == "location":
            return not record.get("location")
        if aspect == "basis":
            return not record.get("basis")
        if aspect == "conditions":
            return not record.get("conditions")
        if aspect == "contact":
            return not record.get("phone")
        return False

    def proxy_materials(self, record: dict[str, Any], words: Iterable[str]) -> str:
        """The materials whose name or notes say a proxy brings them (授权委托书, 代办人身份证 …);
        empty when the record lists none."""
        words = tuple(words)
        return self.materials(record, lambda m: any(w in f"{m.get('name', '')} {m.get('notes') or ''}" for w in words),
                              mark_optional=False)  # "视情况" is this case: a proxy does apply

    def situation_materials(self, record: dict[str, Any], question: str, groups: Iterable[Iterable[str]]) -> str:
        """The materials whose name or notes speak of the situation the question tells, a situation being
        any word of one of `groups` (外地 / 户籍 / 居住证 …); empty when the question tells none."""
        told = [tuple(group) for group in groups if any(word in question for word in group)]
        if not told:
            return ""
        return self.materials(record, lambda m: any(
            word in f"{m.get('name', '')} {m.get('notes') or ''}" for group in told for word in group))

    def materials(self, record: dict[str, Any], wanted: Callable[[dict[str, Any]], bool] | None = None,
                  mark_optional: bool = True) -> str:
        lines = []
        chosen = [m for m in record.get("materials") or [] if wanted is None or wanted(m)]
        for n, material in enumerate(chosen, 1):
            copies = material.get("copies")
            detail = "，".join(p for p in (material.get("form"),
                                          self._f("material_copies", copies=copies) if copies else None) if p)
            lines.append(self._f(
                "material_line", n=n, name=material["name"],
                detail=self._f("material_detail", detail=detail) if detail else "",
                optional=self._f("material_optional") if mark_optional and material.get("required") is False else "",
                notes=self._f("material_notes", notes=material["notes"]) if material.get("notes") else "",
            ))
        return "\n".join(lines)

    def steps(self, record: dict[str, Any]) -> str:
        return "\n".join(self._f("step_line", n=n, step=step) for n, step in enumerate(record.get("process") or [], 1))

    def theme_steps(self, record: dict[str, Any], items: Mapping[str, dict[str, Any]]) -> str:
        lines = []
        for n, step in enumerate(record.get("steps") or [], 1):
            item = items.get(step.get("item") or "")
            lines.append(self._f("theme_step_line", n=n, title=step["title"],
                                 item_name=item["name"] if item else step.get("item") or "",
                                 note=f"：{step['note']}" if step.get("note") else "").replace("（）", ""))
        return "\n".join(lines)

    def limits(self, record: dict[str, Any]) -> str:
        parts = []
        statutory, committed = record.get("statutory_limit"), record.get("committed_limit")
        if statutory is not None:
            parts.append(self._f("limit_immediate_statutory") if statutory == 0 else
                         self._f("limit_statutory", days=statutory))
        if committed is not None:
            parts.append(self._f("limit_immediate_committed") if committed == 0 else
                         self._f("limit_committed", days=committed))
        if record.get("limit_note"):
            parts.append(record["limit_note"])
        return "；".join(parts) if parts else self._f("limit_unknown")

    def basis(self, record: dict[str, Any]) -> str:
        return "\n".join(self._f("basis_line", n=n, basis=b) for n, b in enumerate(record.get("basis") or [], 1))

    def location(self, record: dict[str, Any]) -> str:
        location = record.get("location") or {}
        return self._f("location", hall=location.get("hall", ""), floor=location.get("floor", ""),
                       window=location.get("window", ""))

    def fee(self, record: dict[str, Any]) -> str:
        return record.get("fee") or self._f("fee_unknown")

    def online(self, record: dict[str, Any]) -> str:
        online = record.get("online")
        if online and online.get("url"):
            note = online.get("note")
            return self._f("online_yes", url=online["url"], note=f"（{note}）" if note else "")
        return self._f("online_no")

    def visits(self, record: dict[str, Any]) -> str:
        visits = record.get("visits")
        return self._f("visits_unknown") if visits is None else self._f("visits_count", visits=visits)

    def values(self, record: dict[str, Any], aspect: str, department: dict[str, Any] | None,
               centre: dict[str, Any]) -> dict[str, Any]:
        """Everything a guide response for `aspect` may refer to."""
        values: dict[str, Any] = {
            "name": record["name"],
            "department": record.get("department", ""),
            "summary": record.get("summary") or "",
            "phone": record.get("phone") or (department or {}).get("phone") or centre.get("phone", ""),
            "complaint_phone": record.get("complaint_phone") or centre.get("complaint_phone", ""),
            "hours": record.get("hours") or weekday_hours(centre),
            "aspect_label": self.aspect_labels.get(aspect, aspect),
        }
        location = self.location(record) if record.get("location") else \
            (department or {}).get("window") or centre.get("name", "")
        values["location"] = location
        if aspect == "materials":
            values.update(count=len(record.get("materials") or []), materials=self.materials(record),
                          extra=self._f("materials_source_note", phone=values["phone"]))
        elif aspect == "process":
            values["steps"] = self.steps(record)
        elif aspect == "time_limit":
            values["limits"] = self.limits(record)
        elif aspect == "fee":
            values["fee"] = self.fee(record)
        elif aspect == "basis":
            values["basis"] = self.basis(record)
        elif aspect == "conditions":
            values["conditions"] = record.get("conditions") or ""
        elif aspect == "online":
            values.update(online=self.online(record), visits=self.visits(record))
        elif aspect == "overview":
            # "X怎么办理" is answered with the key facts and the steps.
            lines = "\n".join(self._f("overview_step_line", n=n, step=step)
                              for n, step in enumerate(record.get("process") or [], 1))
            steps = self._f("overview_steps", steps=lines) if lines else ""
            values.update(material_count=len(record.get("materials") or []), limits=self.limits(record),
                          fee=self.fee(record), steps_block=steps)
        return values
