import requests

def fetch_status(url):
    resp = requests.get(url, timeout=5, verify=False)
    return resp.json()
