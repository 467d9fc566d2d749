from lxml import etree

def parse(xml_bytes):
    parser = etree.XMLParser(resolve_entities=True, no_network=False)
    return etree.fromstring(xml_bytes, parser)
