"""The commented example configuration loads and shows every key of the settings model."""

import re
from pathlib import Path

from pydantic import BaseModel

from gateway.settings import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "systemd" / "gateway.example.toml"


def keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))[0] if name == "modems" else annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            out |= keys(inner, f"{prefix}{name}.")
        else:
            out.add(prefix + name)
    return out


def test_example_loads() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.modems[0].id == "modem1"
    assert settings.modems[0].rtscts is False


def test_example_mentions_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    written = {m.group(1) for m in re.finditer(r"^#? ?([a-z_]+) = ", text, flags=re.MULTILINE)}
    missing = {k for k in keys(Settings) if k.rsplit(".", 1)[-1] not in written}
    assert not missing, f"keys absent from {EXAMPLE.name}: {sorted(missing)}"
