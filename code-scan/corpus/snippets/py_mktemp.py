import tempfile

def write_report(data):
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w") as f:
        f.write(data)
    return path
