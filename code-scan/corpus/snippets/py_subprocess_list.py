import subprocess

def list_dir(path):
    result = subprocess.run(["ls", "-la", path], capture_output=True, text=True, check=True)
    return result.stdout
