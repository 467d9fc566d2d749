from flask import Flask, request
from lxml import etree

app = Flask(__name__)
CATALOG = etree.parse("catalog.xml", parser=etree.XMLParser(resolve_entities=False, no_network=True))


@app.route("/book")
def book():
    title = request.args.get("title", "")
    hits = CATALOG.xpath("//book[title='" + title + "']/price/text()")
    return {"prices": [str(h) for h in hits]}
