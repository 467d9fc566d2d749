import subprocess

def backup(db_name, dest):
    cmd = f"pg_dump {db_name} | gzip > {dest}"
    subprocess.check_output(cmd, shell=True)
