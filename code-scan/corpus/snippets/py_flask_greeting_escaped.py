from flask import Flask, request, make_response
from markupsafe import escape

app = Flask(__name__)


@app.route("/greet")
def greet():
    visitor = escape(request.args.get("visitor", "stranger"))
    return make_response(f"<h1>Welcome back, {visitor}!</h1>")
