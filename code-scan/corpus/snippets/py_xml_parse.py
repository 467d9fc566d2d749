from xml.etree import ElementTree as ET

def parse_invoice(body: bytes):
    root = ET.fromstring(body)
    return {child.tag: child.text for child in root}
