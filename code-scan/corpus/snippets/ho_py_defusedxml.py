from defusedxml import ElementTree

def parse(xml_bytes):
    return ElementTree.fromstring(xml_bytes)
