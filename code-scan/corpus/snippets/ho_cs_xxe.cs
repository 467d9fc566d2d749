using System.Xml;

public class Importer {
    public XmlDocument Load(string xml) {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Parse };
        var doc = new XmlDocument();
        doc.Load(XmlReader.Create(new System.IO.StringReader(xml), settings));
        return doc;
    }
}
