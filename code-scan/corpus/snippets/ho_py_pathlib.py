from pathlib import Path

BASE = Path("/srv/files").resolve()

def read_file(name: str) -> bytes:
    target = (BASE / name).resolve()
    if not target.is_relative_to(BASE):
        raise PermissionError(name)
    return target.read_bytes()
