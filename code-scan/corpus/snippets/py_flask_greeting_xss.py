from flask import Flask, request, make_response

app = Flask(__name__)


@app.route("/greet")
def greet():
    visitor = request.args.get("visitor", "stranger")
    body = "<h1>Welcome back, " + visitor + "!</h1>"
    return make_response(body)
