from flask import request
import requests

@app.route("/preview")
def preview():
    r = requests.get(request.args["url"], timeout=3)
    return r.text[:500]
