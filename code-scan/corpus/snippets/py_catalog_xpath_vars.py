from flask import Flask, request
from lxml import etree

app = Flask(__name__)
CATALOG = etree.parse("catalog.xml", parser=etree.XMLParser(resolve_entities=False, no_network=True))


@app.route("/book")
def book():
    hits = CATALOG.xpath("//book[title=$t]/price/text()", t=request.args.get("title", ""))
    return {"prices": [str(h) for h in hits]}
