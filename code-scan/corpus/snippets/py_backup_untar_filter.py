import tarfile


def restore(archive_path: str, target: str) -> None:
    with tarfile.open(archive_path, "r:gz") as tar:
        tar.extractall(target, filter="data")
